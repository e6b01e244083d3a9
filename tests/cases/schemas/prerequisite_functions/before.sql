-- Issue 11 item 12: a generated column, a CHECK and an index call functions the format does not manage;
-- prerequisites.sql creates them, before the tables, where they are missing (here: the one the old table lacks).
CREATE FUNCTION convert_ts(s character varying) RETURNS timestamp LANGUAGE sql IMMUTABLE
    AS $$ SELECT to_timestamp(s, 'YYYY-MM-DD')::timestamp $$;
CREATE TABLE ev (id integer PRIMARY KEY, raw varchar, at timestamp GENERATED ALWAYS AS (convert_ts(raw)) STORED);
