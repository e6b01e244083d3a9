CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE UNIQUE INDEX leads_contact_idx ON leads (email);
