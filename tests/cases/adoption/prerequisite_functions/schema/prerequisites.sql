-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE OR REPLACE FUNCTION public.arr_lower(text[])
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT array_agg(lower(x)) FROM unnest($1) x $function$;

CREATE OR REPLACE FUNCTION public.convert_ts(s character varying)
 RETURNS timestamp without time zone
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT to_timestamp(s, 'YYYY-MM-DD')::timestamp $function$;
