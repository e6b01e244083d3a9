-- Issue 11 item 9: columns typed by a domain and by an enum of another schema, declared in prerequisites.sql.
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE SCHEMA other;
CREATE TYPE other.kind AS ENUM ('a', 'b');
CREATE TABLE film (id integer PRIMARY KEY, released year, kind other.kind);
