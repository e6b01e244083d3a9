-- Issue 11 item 14: a project of two owned schemas with foreign keys both ways; every table of every
-- schema is created before any foreign key, and each schema's defaults read under its own search_path.
CREATE SCHEMA billing;
CREATE TABLE billing.invoice (id serial PRIMARY KEY, total numeric);
