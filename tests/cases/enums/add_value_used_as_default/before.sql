CREATE TYPE contact_method AS ENUM ('email');
CREATE TABLE leads (id integer PRIMARY KEY, method contact_method);
