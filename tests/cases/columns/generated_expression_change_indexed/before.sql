CREATE TABLE leads (
  id integer PRIMARY KEY,
  price numeric NOT NULL,
  price_with_tax numeric GENERATED ALWAYS AS (price * 1.2) STORED CONSTRAINT leads_price_with_tax_check CHECK (price_with_tax >= 0)
);
CREATE UNIQUE INDEX leads_id_price_with_tax_idx ON leads (id, price_with_tax);
CREATE INDEX leads_taxed ON leads (price_with_tax) WHERE price_with_tax > 100;
