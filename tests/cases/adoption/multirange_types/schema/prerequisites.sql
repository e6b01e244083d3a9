-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE DOMAIN public.pos AS numeric CONSTRAINT pos_check CHECK ((VALUE >= (0)::numeric));

CREATE TYPE public.pricerange AS RANGE (SUBTYPE = pos);

CREATE TYPE public.bag AS (prices pricemultirange);

CREATE TYPE public.span AS RANGE (SUBTYPE = bigint, MULTIRANGE_TYPE_NAME = public.spans);
