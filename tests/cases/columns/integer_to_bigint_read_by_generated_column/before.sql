-- integer -> bigint read by a generated column whose expression does not change: PostgreSQL still refuses
-- ALTER COLUMN TYPE on a column a generated column reads, so the generated column is dropped before the
-- type change and added again after it, in its transaction, with its CHECK and index.
CREATE TABLE t1 (id integer PRIMARY KEY, b integer, g bigint GENERATED ALWAYS AS (b * 2) STORED CHECK (g >= 0));
CREATE UNIQUE INDEX t1_g_key ON t1 (g);
INSERT INTO t1 (id, b) VALUES (1, 1), (2, 5), (3, NULL);
