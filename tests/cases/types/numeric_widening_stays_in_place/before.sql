CREATE TABLE invoices (id integer PRIMARY KEY, amount numeric(10,2) NOT NULL, note varchar(20));
CREATE INDEX invoices_amount_idx ON invoices (amount);
INSERT INTO invoices SELECT g, g * 10.25, 'n' || g FROM generate_series(1, 30) g;
ANALYZE;
