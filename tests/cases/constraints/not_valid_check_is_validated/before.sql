CREATE TABLE leads (id integer PRIMARY KEY, email text);
ALTER TABLE leads ADD CONSTRAINT leads_email_check CHECK (email <> '') NOT VALID;
