CREATE TABLE prospects (id integer PRIMARY KEY, email text);
COMMENT ON TABLE prospects IS 'People.';
COMMENT ON COLUMN prospects.email IS 'Address.';
