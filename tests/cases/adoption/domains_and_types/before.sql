-- Issue 11 item 9: columns typed by domains (pagila's year, adventureworks' public."Name" from another
-- schema) and by an enum of another schema: written to prerequisites.sql, usable as column types.
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE SCHEMA other;
CREATE TYPE other.kind AS ENUM ('a', 'b');
CREATE DOMAIN other."Name" AS varchar(50);
CREATE TABLE film (id integer PRIMARY KEY, released year, kind other.kind, kinds other.kind[], title other."Name");
