CREATE TABLE leads (id integer PRIMARY KEY, email text, active boolean);
CREATE INDEX leads_email_idx ON leads (email) WHERE active;
