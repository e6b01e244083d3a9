-- Issue 11, item 7: NOT VALID constraints were imported as valid and validated by the first plan,
-- which fails here: old rows violate both.
CREATE TABLE acct (id integer PRIMARY KEY);
CREATE TABLE note (id integer PRIMARY KEY, acct_id integer, body text);
INSERT INTO acct VALUES (1);
INSERT INTO note VALUES (1, 1, 'ok'), (2, 99, ''), (3, NULL, 'x');
ALTER TABLE note ADD CONSTRAINT note_acct_id_fkey FOREIGN KEY (acct_id) REFERENCES acct (id) NOT VALID;
ALTER TABLE note ADD CONSTRAINT note_body_check CHECK (body <> '') NOT VALID;
