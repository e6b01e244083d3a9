CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text, CONSTRAINT leads_contact_key UNIQUE (phone, email));
