CREATE TABLE leads (id integer PRIMARY KEY, visits integer NOT NULL DEFAULT 0);
