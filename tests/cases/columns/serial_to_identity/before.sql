CREATE TABLE leads (id serial PRIMARY KEY, email text);
