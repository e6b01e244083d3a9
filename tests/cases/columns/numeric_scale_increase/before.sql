CREATE TABLE leads (id integer PRIMARY KEY, email text, premium numeric(10,2));
