CREATE TABLE items (
  tenant_id integer NOT NULL,
  code integer NOT NULL DEFAULT 0,
  label text COLLATE "C",
  price numeric(10,2),
  PRIMARY KEY (tenant_id, code),
  CONSTRAINT items_code_price_check CHECK (code > 0 OR price IS NULL),
  CONSTRAINT items_label_key UNIQUE (label)
);
COMMENT ON COLUMN items.code IS 'The item''s number within its tenant.';
COMMENT ON COLUMN items.label IS 'Shown to customers.';
CREATE INDEX items_code_idx ON items (code DESC) WHERE price IS NOT NULL;
CREATE INDEX items_code_label_idx ON items ((code * 2), label) INCLUDE (price);
CREATE TABLE item_prices (
  tenant_id integer NOT NULL,
  code integer NOT NULL,
  valid_from date NOT NULL,
  FOREIGN KEY (tenant_id, code) REFERENCES items (tenant_id, code) ON DELETE CASCADE
);
INSERT INTO items SELECT g % 3, g, 'label ' || g, CASE WHEN g % 2 = 0 THEN g * 1.5 END FROM generate_series(1, 40) g;
INSERT INTO item_prices SELECT g % 3, g, date '2024-01-01' + g FROM generate_series(1, 40, 3) g;
ANALYZE;
