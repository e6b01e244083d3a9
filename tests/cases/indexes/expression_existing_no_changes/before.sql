CREATE TABLE leads (id integer PRIMARY KEY, email text, auto_data jsonb, score integer);
CREATE UNIQUE INDEX leads_lower_idx ON leads (lower(email));
CREATE INDEX leads_vin ON leads ((auto_data->>'vin')) WHERE auto_data ? 'vin' AND score > 10;
