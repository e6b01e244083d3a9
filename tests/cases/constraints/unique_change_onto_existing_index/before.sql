CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text, CONSTRAINT leads_contact_key UNIQUE (phone, email));
-- Built by hand ahead of the change: exactly the new key's definition.
CREATE UNIQUE INDEX leads_email_phone_idx ON leads (email, phone);
