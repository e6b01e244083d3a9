-- Issue 11, item 10: indexes over several expressions, or columns mixed with expressions, were dropped.
CREATE TABLE ev (id bigint PRIMARY KEY, org integer NOT NULL, at timestamptz, po text);
CREATE INDEX ON ev (org, lower(po));
CREATE INDEX ev_lower_upper ON ev (lower(po), upper(po));
CREATE UNIQUE INDEX ev_org_po_at ON ev (org, lower(po), at DESC);
CREATE INDEX ev_org_org ON ev (org, org);
INSERT INTO ev SELECT g, g % 7, now() - g * interval '1 hour', 'PO' || g FROM generate_series(1, 50) g;
