CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE UNIQUE INDEX leads_contact_idx ON leads (email);
-- An earlier apply built the replacement under its temporary name, then stopped.
CREATE UNIQUE INDEX leads_contact_idx_pgevolve_new ON leads (email, phone);
