CREATE TABLE leads (id integer PRIMARY KEY, email text, starts date, ends date);
