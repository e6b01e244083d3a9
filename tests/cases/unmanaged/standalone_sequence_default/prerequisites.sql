CREATE SEQUENCE invoice_seq;
