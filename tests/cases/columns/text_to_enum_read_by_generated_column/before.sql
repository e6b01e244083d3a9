-- text -> enum read by a generated column: PostgreSQL refuses ALTER COLUMN TYPE on a column a generated
-- column reads. The YAML compares with a label instead: the generated column is dropped before the type change
-- and added again after it, in its transaction, with its index.
CREATE TABLE t1 (id integer PRIMARY KEY, f text, g text GENERATED ALWAYS AS (lower(f)) STORED);
CREATE INDEX t1_g_idx ON t1 (g);
INSERT INTO t1 (id, f) VALUES (1, 'calm'), (2, 'glad'), (3, NULL);
