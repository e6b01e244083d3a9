CREATE TABLE leads (id integer PRIMARY KEY, email text, auto_data jsonb);
