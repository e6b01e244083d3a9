-- Issue 11, item 11: a NO INHERIT check was lost on rebuild.
CREATE TABLE item (id integer PRIMARY KEY, qty integer,
                   CONSTRAINT item_qty_check CHECK (qty >= 0) NO INHERIT,
                   CONSTRAINT item_only_parent CHECK (false) NO INHERIT NOT VALID);
