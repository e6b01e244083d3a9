CREATE TABLE leads (id integer NOT NULL, email text);
