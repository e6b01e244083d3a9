CREATE TABLE prospects (id integer PRIMARY KEY, email text);
