CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE leads (id integer PRIMARY KEY, email text);
