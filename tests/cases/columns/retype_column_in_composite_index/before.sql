CREATE TABLE leads (id integer PRIMARY KEY, email varchar(50), zip text);
CREATE INDEX leads_email_zip_idx ON leads (email, zip);
CREATE UNIQUE INDEX leads_zip_key ON leads (zip) WHERE zip <> '';
