-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE OR REPLACE FUNCTION public.is_email(text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT $1 ~ '@' $function$;

CREATE DOMAIN public.email AS text CONSTRAINT email_check CHECK (is_email(VALUE));

CREATE TYPE public.contact AS (address email, feeling mood, "Label" text COLLATE pg_catalog."C");

CREATE TYPE public.bundle AS (inner_contact contact, tags text[]);

CREATE TYPE public.label_band AS RANGE (SUBTYPE = text, COLLATION = pg_catalog."C");

CREATE TYPE public.price_band AS RANGE (SUBTYPE = numeric);
