CREATE TYPE contact_method AS ENUM ('email', 'phone', 'fax');
CREATE TABLE leads (id integer PRIMARY KEY, methods contact_method[]);
