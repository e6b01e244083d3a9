CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE UNIQUE INDEX leads_contact_idx ON leads (email);
-- A failed concurrent build of the replacement leaves it INVALID.
CREATE UNIQUE INDEX leads_contact_idx_pgevolve_new ON leads (email, phone);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'leads_contact_idx_pgevolve_new'::regclass;
