CREATE TABLE leads (id integer PRIMARY KEY, email text, zip text DEFAULT '00000');
