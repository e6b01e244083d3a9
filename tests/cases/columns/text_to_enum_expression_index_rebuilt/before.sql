-- text -> enum under indexes and a CHECK that use the column as text: ALTER COLUMN TYPE re-parses
-- them against the enum and fails (`function lower(mood) does not exist`, `operator does not exist:
-- mood <> text`). The YAML changes them: the old ones are dropped before the type change and the new
-- ones made after it, in its transaction (no moment without the unique index or the CHECK).
CREATE TABLE t1 (id integer PRIMARY KEY, f text CHECK (f <> ''));
CREATE UNIQUE INDEX t1_f_key ON t1 (lower(f)) WHERE f IS NOT NULL;
CREATE INDEX t1_f_idx ON t1 (f) WHERE f <> 'sad';
INSERT INTO t1 VALUES (1, 'calm'), (2, 'glad'), (3, NULL);
