CREATE TABLE item (id integer PRIMARY KEY, qty integer CONSTRAINT item_qty_check CHECK (qty >= 0));
INSERT INTO item VALUES (1, 3);
