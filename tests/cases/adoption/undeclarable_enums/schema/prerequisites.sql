-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE TYPE public."Answer" AS ENUM ('yes', 'no', '');

CREATE TYPE public.nothing_yet AS ENUM ();
