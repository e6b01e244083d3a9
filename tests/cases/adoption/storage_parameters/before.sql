-- Issue 11, item 11: table storage parameters were lost on rebuild; one the format does not manage
-- (user_catalog_table) is reported and left alone.
CREATE TABLE queue (id bigint PRIMARY KEY, payload jsonb)
    WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.0050, autovacuum_enabled = off,
          vacuum_index_cleanup = AUTO, toast.autovacuum_enabled = false, toast.autovacuum_vacuum_threshold = 010);
CREATE TABLE catalogish (id integer PRIMARY KEY) WITH (user_catalog_table = true, fillfactor = 90);
INSERT INTO queue SELECT g, jsonb_build_object('n', g) FROM generate_series(1, 20) g;
