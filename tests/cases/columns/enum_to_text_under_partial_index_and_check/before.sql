-- enum -> text under a partial index and a CHECK that compare with a label: ALTER COLUMN TYPE would re-parse
-- `f <> 'sad'::mood` against text (no operator text <> mood). Both are dropped before the type change and
-- made again after it in its transaction; the enum goes once no column uses it.
CREATE TYPE mood AS ENUM ('calm', 'glad', 'sad');
CREATE TABLE t1 (id integer PRIMARY KEY, f mood CHECK (f <> 'sad'));
CREATE UNIQUE INDEX t1_f_idx ON t1 (f, id) WHERE f <> 'sad';
INSERT INTO t1 VALUES (1, 'calm'), (2, 'glad'), (3, NULL);
