CREATE TABLE prospects (id integer PRIMARY KEY, mail text, fax text);
