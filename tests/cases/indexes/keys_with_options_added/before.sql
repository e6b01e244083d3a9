CREATE EXTENSION btree_gin;
CREATE TABLE ev (id bigint PRIMARY KEY, org integer NOT NULL, at timestamptz, po text, tags text);
INSERT INTO ev SELECT g, g % 7, now() - g * interval '1 hour', 'PO' || g, 't' || g FROM generate_series(1, 50) g;
