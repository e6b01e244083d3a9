-- A column typed by a table's row type (or an array of it), which the format cannot declare: its table
-- is left alone (not managed, listed with the column that keeps it out), like a partition; a foreign key
-- of a managed table to it is left alone too. The table whose row type is used stays managed.
CREATE TABLE account (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE snapshot (id integer PRIMARY KEY, taken account, history account[]);
CREATE TABLE note (id integer PRIMARY KEY, snapshot_id integer REFERENCES snapshot (id), body text);
INSERT INTO account VALUES (1, 'a');
INSERT INTO snapshot VALUES (1, ROW(1, 'a'), ARRAY[ROW(1, 'a')::account]);
INSERT INTO note VALUES (1, 1, 'n');
