CREATE TYPE contact_method AS ENUM ('email', 'phone', 'fax');
CREATE TABLE leads (id integer PRIMARY KEY, method contact_method NOT NULL DEFAULT 'email');
CREATE INDEX leads_method_idx ON leads (method);
