CREATE TABLE leads (id integer PRIMARY KEY, price numeric, price_with_tax numeric GENERATED ALWAYS AS (price * 1.2) STORED);
CREATE INDEX leads_price_idx ON leads (round(price));
