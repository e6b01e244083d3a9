-- text -> enum online (the table is over online_from_rows) under indexes and a CHECK that use the column
-- as text: they are made again on the shadow column from the YAML, never re-parsed against the enum.
CREATE TABLE t1 (id integer PRIMARY KEY, f text CHECK (f <> ''));
CREATE UNIQUE INDEX t1_f_key ON t1 (lower(f), id) WHERE f IS NOT NULL;
CREATE INDEX t1_f_idx ON t1 (f) WHERE f <> 'sad';
INSERT INTO t1 SELECT g, CASE g % 3 WHEN 0 THEN 'calm' WHEN 1 THEN 'glad' END FROM generate_series(1, 40) g;
ANALYZE;
