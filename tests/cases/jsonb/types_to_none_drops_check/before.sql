CREATE TABLE leads (id integer PRIMARY KEY, auto_data jsonb);
ALTER TABLE leads ADD CONSTRAINT leads_auto_data_shape CHECK (jsonb_typeof(auto_data) = 'object');
CREATE INDEX leads_auto_data_vin_idx ON leads ((auto_data->>'vin'));
