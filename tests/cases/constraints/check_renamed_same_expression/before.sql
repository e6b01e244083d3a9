CREATE TABLE leads (id integer PRIMARY KEY, email text CONSTRAINT email_ok CHECK (email <> ''));
