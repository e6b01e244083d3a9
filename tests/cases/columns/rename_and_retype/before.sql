CREATE TABLE leads (id integer PRIMARY KEY, mail varchar(50));
