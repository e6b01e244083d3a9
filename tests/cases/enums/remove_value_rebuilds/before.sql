CREATE TYPE contact_method AS ENUM ('email', 'phone', 'fax');
CREATE TABLE leads (id integer PRIMARY KEY, email text, method contact_method);
