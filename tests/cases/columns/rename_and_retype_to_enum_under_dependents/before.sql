-- `f` is renamed to `f2` and becomes an enum in the same plan, under a CHECK and a unique index that use it
-- as text: both are dropped before ALTER COLUMN TYPE (which would re-parse them against the enum and fail)
-- and made again after it, in its transaction, though the plan names the column `f2` by then.
CREATE TABLE t1 (id integer PRIMARY KEY, f text, CONSTRAINT t1_rule CHECK (f <> ''));
CREATE UNIQUE INDEX t1_f_key ON t1 (lower(f)) WHERE f IS NOT NULL;
INSERT INTO t1 VALUES (1, 'calm'), (2, 'glad'), (3, NULL);
