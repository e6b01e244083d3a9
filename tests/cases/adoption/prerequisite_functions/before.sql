-- Issue 11 item 12: a generated column (temporal's convert_ts), an index and a CHECK call functions the
-- format does not manage; import writes them to prerequisites.sql, so a database built from the YAML works.
CREATE FUNCTION convert_ts(s character varying) RETURNS timestamp LANGUAGE sql IMMUTABLE
    AS $$ SELECT to_timestamp(s, 'YYYY-MM-DD')::timestamp $$;
CREATE FUNCTION arr_lower(text[]) RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_agg(lower(x)) FROM unnest($1) x $$;
CREATE TABLE ev (id integer PRIMARY KEY, raw varchar, at timestamp GENERATED ALWAYS AS (convert_ts(raw)) STORED,
                 tags text[] CHECK (cardinality(arr_lower(tags)) < 10));
CREATE INDEX ev_tags_idx ON ev USING gin (arr_lower(tags));
-- not needed by a table: not a prerequisite
CREATE FUNCTION unrelated() RETURNS integer LANGUAGE sql AS 'SELECT 1';
