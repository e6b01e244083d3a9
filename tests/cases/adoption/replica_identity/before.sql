-- Issue 11, item 11: REPLICA IDENTITY was lost on rebuild.
CREATE TABLE ev (id integer PRIMARY KEY, body text);
ALTER TABLE ev REPLICA IDENTITY FULL;
CREATE TABLE log (at timestamptz, body text);
ALTER TABLE log REPLICA IDENTITY NOTHING;
CREATE TABLE account (id integer PRIMARY KEY, email text NOT NULL);
CREATE UNIQUE INDEX account_email_idx ON account (email);
ALTER TABLE account REPLICA IDENTITY USING INDEX account_email_idx;
CREATE TABLE profile (id integer CONSTRAINT profile_pk PRIMARY KEY);
ALTER TABLE profile REPLICA IDENTITY USING INDEX profile_pk;
