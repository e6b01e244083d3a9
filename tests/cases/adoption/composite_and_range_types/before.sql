-- Columns typed by composite and range types of the owned schema (the format declares neither):
-- written to prerequisites.sql, each after what it is made of (bundle after contact, contact after the
-- enum and the domain, the domain after the function its CHECK calls), so that they build before the
-- tables, in the scratch database and on an empty target. A range type's constructor functions are
-- part of the type, not unmanaged functions of their own.
CREATE TYPE mood AS ENUM ('calm', 'it''s complicated');
CREATE FUNCTION is_email(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 ~ '@' $$;
CREATE DOMAIN email AS text CONSTRAINT email_check CHECK (is_email(VALUE));
CREATE TYPE contact AS (address email, feeling mood, "Label" text COLLATE "C");
CREATE TYPE bundle AS (inner_contact contact, tags text[]);
CREATE TYPE price_band AS RANGE (SUBTYPE = numeric);
CREATE TYPE label_band AS RANGE (SUBTYPE = text, COLLATION = "C");
CREATE TABLE quote (
    id integer PRIMARY KEY,
    history bundle[],
    band price_band,
    labels label_band
);
INSERT INTO quote VALUES (1, ARRAY[ROW(ROW('c@d', 'it''s complicated', 'y'), '{t}')::bundle], '[1,2)', '[a,b]');
