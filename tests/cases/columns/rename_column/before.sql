CREATE TABLE leads (id integer PRIMARY KEY, mail text);
