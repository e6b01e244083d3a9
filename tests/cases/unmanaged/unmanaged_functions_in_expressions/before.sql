CREATE FUNCTION is_positive(integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE TABLE leads (id integer PRIMARY KEY, score integer CHECK (is_positive(score)));
CREATE FUNCTION lead_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM leads';
