CREATE TABLE leads (id integer PRIMARY KEY, email text, phone text);
CREATE INDEX leads_contact ON leads (email);
