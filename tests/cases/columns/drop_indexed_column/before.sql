CREATE TABLE leads (id integer PRIMARY KEY, email text, fax text CHECK (fax <> ''));
CREATE INDEX leads_fax_idx ON leads (fax);
CREATE INDEX leads_email_fax_idx ON leads (email, fax);
