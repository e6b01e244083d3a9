CREATE TYPE stage AS ENUM ('a', 'd');
CREATE TABLE t (id integer PRIMARY KEY, s stage);
