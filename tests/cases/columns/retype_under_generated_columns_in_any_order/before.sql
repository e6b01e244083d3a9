-- integer -> bigint of `b`, which generated columns declared before it read: one goes (dropped before the
-- type change, which PostgreSQL refuses while it exists), one becomes an ordinary column (DROP EXPRESSION
-- before the type change), and a new one reads `b` (added after the type change, though the YAML lists it
-- first).
CREATE TABLE t1 (
  id integer PRIMARY KEY,
  gone bigint GENERATED ALWAYS AS (b + 1) STORED,
  plain bigint GENERATED ALWAYS AS (b + 2) STORED,
  b integer
);
INSERT INTO t1 (id, b) VALUES (1, 1), (2, 5), (3, NULL);
