-- Issue 11 item 3: integer columns referencing bigserial and bigint keys (PostgreSQL accepts them): the
-- imported YAML validates (a warning for the narrower column).
CREATE TABLE acct (id bigserial PRIMARY KEY);
CREATE TABLE note (id integer PRIMARY KEY, acct_id integer REFERENCES acct (id), small smallint REFERENCES acct);
