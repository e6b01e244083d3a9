CREATE TABLE leads (id integer PRIMARY KEY, email text, CONSTRAINT leads_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED);
