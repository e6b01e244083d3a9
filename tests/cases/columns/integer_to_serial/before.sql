CREATE TABLE leads (id integer PRIMARY KEY, email text);
