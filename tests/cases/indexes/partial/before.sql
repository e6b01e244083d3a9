CREATE TABLE leads (id integer PRIMARY KEY, email text);
ALTER TABLE leads ADD COLUMN active boolean;
