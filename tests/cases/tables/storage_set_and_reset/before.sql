CREATE TABLE queue (id bigint PRIMARY KEY, payload jsonb) WITH (fillfactor = 70, autovacuum_enabled = off);
INSERT INTO queue SELECT g, jsonb_build_object('n', g) FROM generate_series(1, 20) g;
