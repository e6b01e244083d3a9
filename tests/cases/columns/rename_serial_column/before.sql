CREATE TABLE leads (code serial PRIMARY KEY, email text);
