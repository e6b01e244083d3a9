CREATE SEQUENCE invoice_seq;
CREATE TABLE invoices (id integer PRIMARY KEY, number bigint DEFAULT nextval('invoice_seq'));
