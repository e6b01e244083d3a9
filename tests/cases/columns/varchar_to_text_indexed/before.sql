CREATE TABLE leads (id integer PRIMARY KEY, email varchar(100));
CREATE INDEX leads_email_idx ON leads (email);
