CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE UNIQUE INDEX leads_contact_idx ON leads (email);
CREATE UNIQUE INDEX leads_contact_idx_pgevolve_new ON leads (email, phone);
-- An earlier apply built the replacement, then its DROP INDEX CONCURRENTLY of the old index
-- stopped half-way, which leaves the old index INVALID.
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'leads_contact_idx'::regclass;
