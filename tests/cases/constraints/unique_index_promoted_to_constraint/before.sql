CREATE TABLE leads (id integer PRIMARY KEY, email text);
CREATE UNIQUE INDEX leads_email_key ON leads (email);
