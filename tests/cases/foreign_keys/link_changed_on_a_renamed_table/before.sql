-- A foreign key whose table is renamed (so its default name changes) and whose ON DELETE changes,
-- in a plan with CONCURRENTLY steps: the old link is dropped in the transaction that adds the new
-- one, never before the index steps (the property test found the link missing for nine units).
CREATE TABLE t3 (id integer PRIMARY KEY, b integer UNIQUE);
CREATE TABLE t1 (id integer PRIMARY KEY, ref integer REFERENCES t3 (id) ON DELETE CASCADE, a text);
CREATE INDEX t1_a_idx ON t1 (a);
