-- The DBA's: reviewed as a migration is.
CREATE OR REPLACE FUNCTION public.convert_ts(s character varying)
 RETURNS timestamp without time zone
 LANGUAGE sql
 IMMUTABLE
AS $$ SELECT to_timestamp(s, 'YYYY-MM-DD')::timestamp $$;

CREATE FUNCTION public.arr_lower(text[]) RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_agg(lower(x)) FROM unnest($1) x $$;
