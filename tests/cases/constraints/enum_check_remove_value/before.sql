CREATE TABLE leads (id integer PRIMARY KEY, email text);
ALTER TABLE leads ADD COLUMN client_type text CONSTRAINT leads_client_type_check CHECK (client_type IN ('Individual', 'Business'));
