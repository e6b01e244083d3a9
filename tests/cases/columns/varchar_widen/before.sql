CREATE TABLE leads (id integer PRIMARY KEY, email varchar(50));
