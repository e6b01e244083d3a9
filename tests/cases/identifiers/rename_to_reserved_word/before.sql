CREATE TABLE orders (id integer PRIMARY KEY, uname text);
