CREATE TABLE leads (id integer PRIMARY KEY, email text);
CREATE INDEX idx_leads_email ON leads (email);
