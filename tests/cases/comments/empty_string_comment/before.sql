CREATE TABLE leads (id integer PRIMARY KEY, email text);
COMMENT ON TABLE leads IS 'x';
