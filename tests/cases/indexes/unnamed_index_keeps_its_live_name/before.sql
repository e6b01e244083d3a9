CREATE TABLE leads (id integer PRIMARY KEY, email text, auto_data jsonb, custom_fields jsonb);
CREATE UNIQUE INDEX leads_expr_idx ON leads ((auto_data ->> 'vin')) WHERE auto_data ? 'vin';
CREATE INDEX leads_expr_idx1 ON leads ((custom_fields ->> 'campaign'));
CREATE INDEX idx_leads_email ON leads (email);
