-- Issue 11 item 2: extensions installed in another schema (Supabase's `extensions`): a column typed
-- ext.citext and a default calling a function of the extension, imported with the schema and built there.
CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE TABLE acct (id integer PRIMARY KEY, email ext.citext UNIQUE,
                   pos integer DEFAULT ext.strpos('ab'::ext.citext, 'b'::ext.citext));
