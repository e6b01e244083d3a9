CREATE SCHEMA IF NOT EXISTS other;
CREATE TYPE other.kind AS ENUM ('a', 'b');
CREATE DOMAIN public.year AS integer CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
