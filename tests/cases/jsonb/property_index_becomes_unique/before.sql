CREATE TABLE leads (id integer PRIMARY KEY, auto_data jsonb);
CREATE INDEX leads_auto_data_vin_idx ON leads ((auto_data->>'vin'));
