CREATE TABLE visits (id integer PRIMARY KEY, hits integer NOT NULL DEFAULT 0);
INSERT INTO visits SELECT g, g % 13 FROM generate_series(1, 50) g;
ANALYZE;
