SET check_function_bodies = off;
CREATE FUNCTION is_positive(integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE FUNCTION lead_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM leads';
