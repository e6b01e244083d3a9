CREATE TABLE ev (id bigint PRIMARY KEY, org integer NOT NULL, at timestamptz);
CREATE INDEX ev_org_at_idx ON ev (org, at DESC);
INSERT INTO ev SELECT g, g % 7, now() - g * interval '1 hour' FROM generate_series(1, 50) g;
