-- Columns typed by the multirange of a range type of the owned schema (PostgreSQL 14+ creates one with
-- every range type: pricemultirange by default, or the name MULTIRANGE_TYPE_NAME gives). The range goes
-- to prerequisites.sql, after the domain it is over and before the composite type that uses its
-- multirange, with the multirange's name when it is not the default; the validator knows that name.
CREATE DOMAIN pos AS numeric CHECK (VALUE >= 0);
CREATE TYPE pricerange AS RANGE (SUBTYPE = pos);
CREATE TYPE span AS RANGE (SUBTYPE = int8, MULTIRANGE_TYPE_NAME = spans);
CREATE TYPE bag AS (prices pricemultirange);
CREATE TABLE offer (id integer PRIMARY KEY, prices pricemultirange, s spans[], b bag);
INSERT INTO offer VALUES (1, '{[1,2)}', ARRAY['{[1,3)}'::spans], ROW('{[2,3)}'));
