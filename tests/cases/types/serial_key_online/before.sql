CREATE TABLE orders (id serial PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_lines (
  id serial PRIMARY KEY,
  order_id integer NOT NULL REFERENCES orders (id),
  quantity integer NOT NULL
);
INSERT INTO orders (placed_at) SELECT '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 30) g;
INSERT INTO order_lines (order_id, quantity) SELECT 1 + g % 30, g FROM generate_series(1, 60) g;
ANALYZE;
