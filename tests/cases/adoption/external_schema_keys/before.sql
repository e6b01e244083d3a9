-- Issue 11 item 5: foreign keys to tables of a schema the project does not own (Supabase's auth): imported
-- with the schema named external, never planned; a database built from the YAML needs the table first.
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, org uuid, UNIQUE (id, org));
CREATE TABLE doc (id integer PRIMARY KEY, owner uuid REFERENCES auth.users (id) ON DELETE CASCADE, editor uuid,
                  org uuid, FOREIGN KEY (editor, org) REFERENCES auth.users (id, org));
