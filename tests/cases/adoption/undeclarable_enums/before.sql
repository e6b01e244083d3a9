-- Enum types the format cannot declare (an empty value; no values at all): left out of pgevolve.yaml and
-- listed as not managed; those a column uses are written to prerequisites.sql (created when missing), so
-- that the column's type is declared and a database built from the YAML has them.
CREATE TYPE "Answer" AS ENUM ('yes', 'no', '');
CREATE TYPE nothing_yet AS ENUM ();
CREATE TYPE unused_blank AS ENUM ('');
CREATE TYPE plain AS ENUM ('a', 'b');
CREATE TABLE survey (id integer PRIMARY KEY, answer "Answer" DEFAULT '', later nothing_yet, kind plain);
INSERT INTO survey VALUES (1, '', NULL, 'a'), (2, 'yes', NULL, 'b');
