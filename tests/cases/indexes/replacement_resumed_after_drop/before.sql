CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
-- An earlier apply built the replacement and dropped the old index, then stopped before the rename.
CREATE UNIQUE INDEX leads_contact_idx_pgevolve_new ON leads (email, phone);
