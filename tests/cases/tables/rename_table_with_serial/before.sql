CREATE TABLE prospects (id serial PRIMARY KEY, email text);
