CREATE TABLE leads (id integer, email text);
