CREATE TABLE leads (id integer PRIMARY KEY, email text);
CREATE INDEX leads_email_idx ON leads (email);
