CREATE TABLE leads (
  id integer PRIMARY KEY,
  custom_fields jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT leads_custom_fields_check CHECK (jsonb_typeof(custom_fields) = 'object')
);
CREATE INDEX leads_custom_fields_idx ON leads USING gin (custom_fields);
