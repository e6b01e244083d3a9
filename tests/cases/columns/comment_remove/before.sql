CREATE TABLE leads (id integer PRIMARY KEY, email text);
COMMENT ON COLUMN leads.email IS 'old';
