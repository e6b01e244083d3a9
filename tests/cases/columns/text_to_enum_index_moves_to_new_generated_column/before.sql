-- text -> enum, and the index `t1_x_idx` on `lower(f)` moves to a generated column the plan adds (listed
-- before `f` in the YAML): the old index is dropped before the type change, the column is added after it
-- (it reads the enum), and the index is built after the column, all in one transaction.
CREATE TABLE t1 (id integer PRIMARY KEY, f text, CONSTRAINT t1_rule CHECK (f <> ''));
CREATE INDEX t1_x_idx ON t1 (lower(f));
INSERT INTO t1 VALUES (1, 'calm'), (2, 'glad'), (3, NULL);
