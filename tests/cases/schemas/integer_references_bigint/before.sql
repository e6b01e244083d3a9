-- Issue 11 item 3: integer columns referencing bigserial and bigint keys, as PostgreSQL accepts them.
CREATE TABLE acct (id bigserial PRIMARY KEY);
CREATE TABLE note (id integer PRIMARY KEY, acct_id integer REFERENCES acct (id));
