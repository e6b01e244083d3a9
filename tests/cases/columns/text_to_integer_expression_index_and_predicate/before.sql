-- text -> integer under an expression index and a partial index whose predicate compares with a text
-- literal: ALTER COLUMN TYPE would re-parse both against integer and fail. The YAML changes both.
CREATE TABLE t1 (id integer PRIMARY KEY, f text);
CREATE INDEX t1_f_lower_idx ON t1 (lower(f));
CREATE INDEX t1_f_idx ON t1 (f) WHERE f <> '';
INSERT INTO t1 VALUES (1, '12'), (2, '7'), (3, NULL);
