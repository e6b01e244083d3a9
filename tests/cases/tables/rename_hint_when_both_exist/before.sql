CREATE TABLE prospects (id integer PRIMARY KEY, email text);
CREATE TABLE leads (id integer PRIMARY KEY, email text);
