-- Issue 11 item 5: foreign keys to a table of a schema the project does not own (Supabase's auth):
-- referenced, never planned; a new one is added like any foreign key.
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, org uuid, UNIQUE (id, org));
CREATE TABLE doc (id integer PRIMARY KEY, owner uuid REFERENCES auth.users (id), editor uuid, org uuid);
