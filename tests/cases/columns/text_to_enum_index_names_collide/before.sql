-- The property test's draw: `f` becomes an enum, and the YAML's expression index on `a` takes the default
-- name of the one on `f` (t1_lower_idx): the same name, another definition. The old index is dropped before
-- ALTER COLUMN TYPE (which would re-parse `lower(f)` against the enum and fail), the new one made after.
CREATE TABLE t1 (id integer PRIMARY KEY, f text, a text);
CREATE UNIQUE INDEX ON t1 (lower(f)) WHERE f IS NOT NULL;
INSERT INTO t1 VALUES (1, 'calm', 'x'), (2, 'glad', 'y'), (3, NULL, NULL);
