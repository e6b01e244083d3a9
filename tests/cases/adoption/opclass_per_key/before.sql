-- Issue 11, item 4: a different operator class per key was not imported, then dropped.
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gin;
CREATE TABLE doc (id integer PRIMARY KEY, org integer, org_id integer, name text, col text, data jsonb);
CREATE INDEX doc_org_name ON doc (org, name text_pattern_ops);
CREATE INDEX doc_org_col_trgm ON doc USING gin (org_id, col gin_trgm_ops);
CREATE INDEX doc_org_data ON doc USING gin (org_id, data jsonb_path_ops);
CREATE INDEX doc_name_pattern ON doc (name text_pattern_ops);
INSERT INTO doc SELECT g, g % 3, g % 5, 'name ' || g, 'col ' || g, jsonb_build_object('k', g) FROM generate_series(1, 20) g;
