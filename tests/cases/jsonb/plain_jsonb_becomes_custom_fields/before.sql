CREATE TABLE leads (id integer PRIMARY KEY, custom_fields jsonb);
