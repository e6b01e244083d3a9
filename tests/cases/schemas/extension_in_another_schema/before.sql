-- Issue 11 item 2: an extension installed in another schema (Supabase's `extensions`); its type and
-- functions are named with that schema. A new column of its type builds in the scratch database and here.
CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE TABLE acct (id integer PRIMARY KEY, email ext.citext, pos integer DEFAULT ext.strpos('ab'::ext.citext, 'b'::ext.citext));
