CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE UNIQUE INDEX leads_contact_idx ON leads (email);
-- Left by an apply against an older YAML: not the definition wanted now.
CREATE UNIQUE INDEX leads_contact_idx_pgevolve_new ON leads (phone);
