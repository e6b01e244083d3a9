-- Issue 11, item 1: DESC / NULLS FIRST keys were not imported, then dropped by the first plan.
CREATE TABLE ev (id bigint PRIMARY KEY, org integer NOT NULL, at timestamptz, po text);
CREATE INDEX ev_org_at_desc ON ev (org, at DESC);
CREATE INDEX ev_at_nf ON ev (at NULLS FIRST);
CREATE INDEX ev_at_desc_nulls_last ON ev (at DESC NULLS LAST);
CREATE INDEX ON ev (org DESC, id);
INSERT INTO ev SELECT g, g % 7, now() - g * interval '1 hour', 'PO' || g FROM generate_series(1, 50) g;
