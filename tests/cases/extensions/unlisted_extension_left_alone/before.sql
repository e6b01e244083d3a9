CREATE EXTENSION pg_trgm;
CREATE TABLE leads (id integer PRIMARY KEY, email text);
