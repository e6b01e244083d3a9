CREATE TYPE contact_method AS ENUM ('email', 'phone');
CREATE TABLE leads (id integer PRIMARY KEY, method contact_method);
