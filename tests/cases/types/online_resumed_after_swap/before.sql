-- What an apply interrupted right after its swap leaves: the old column, marked retired, and the foreign
-- key added again NOT VALID, not validated yet.
CREATE TABLE accounts (id_pgevolve_old integer, id bigint NOT NULL PRIMARY KEY, name text);
COMMENT ON COLUMN accounts.id_pgevolve_old IS 'pgevolve retired {"column": "id", "lossy": false}';
CREATE TABLE invoices (id integer PRIMARY KEY, account_id_pgevolve_old integer, account_id bigint NOT NULL);
COMMENT ON COLUMN invoices.account_id_pgevolve_old IS 'pgevolve retired {"column": "account_id", "lossy": false}';
INSERT INTO accounts (id, name) SELECT g, 'a' || g FROM generate_series(1, 10) g;
INSERT INTO invoices (id, account_id) SELECT g, 1 + g % 10 FROM generate_series(1, 30) g;
ALTER TABLE invoices ADD CONSTRAINT invoices_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ANALYZE;
