-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE SCHEMA IF NOT EXISTS "other";

CREATE TYPE other.kind AS ENUM ('a', 'b');

CREATE DOMAIN other."Name" AS character varying(50);

CREATE DOMAIN public.year AS integer CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
