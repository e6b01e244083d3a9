-- The hands-off rule: indexes and foreign keys the format cannot express are reported by import and
-- plan, never dropped or rebuilt.
CREATE EXTENSION pg_trgm;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE TABLE part (id integer NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE part_2024 PARTITION OF part FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE doc (id integer PRIMARY KEY, owner uuid REFERENCES auth.users (id), part_id integer,
                  part_at date, name text, title text COLLATE "C");
ALTER TABLE doc ADD CONSTRAINT doc_part_fkey FOREIGN KEY (part_id, part_at) REFERENCES part (id, at);
CREATE INDEX doc_name_ff ON doc (name) WITH (fillfactor = 90);
CREATE INDEX doc_name_c ON doc (name COLLATE "C");
CREATE INDEX doc_name_trgm ON doc USING gist (name gist_trgm_ops (siglen = 32));
CREATE INDEX doc_title ON doc (title);
CREATE VIEW doc_names AS SELECT id, name FROM doc;
CREATE UNIQUE INDEX doc_id_ff ON doc (id) WITH (fillfactor = 80);
ALTER TABLE doc REPLICA IDENTITY USING INDEX doc_id_ff;
CREATE TABLE ref (id integer PRIMARY KEY, a integer, b integer, UNIQUE (a, b));
CREATE UNLOGGED TABLE scratch (id integer, doc_a integer, doc_b integer,
                               FOREIGN KEY (doc_a, doc_b) REFERENCES ref (a, b) MATCH FULL);
ALTER TABLE scratch ALTER COLUMN id SET STATISTICS 500;
ALTER TABLE doc ALTER COLUMN name SET STORAGE EXTERNAL, ALTER COLUMN title SET COMPRESSION pglz;
