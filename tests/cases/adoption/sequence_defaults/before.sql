-- Issue 11 item 6: defaults on sequences the columns do not own: one named like a serial's, with its own
-- type, START and INCREMENT, and one owned by the column under another name (philomena's tag_changes_id_seq1).
-- Both stay as they are: never turned into serial, the sequences written to prerequisites.sql.
CREATE SEQUENCE item_id_seq AS bigint START 1000 INCREMENT 5;
CREATE TABLE item (id bigint PRIMARY KEY DEFAULT nextval('item_id_seq'), label text);
CREATE TABLE legacy (id serial PRIMARY KEY);
CREATE SEQUENCE change_id_seq1;
CREATE TABLE change (id integer PRIMARY KEY DEFAULT nextval('change_id_seq1'));
ALTER SEQUENCE change_id_seq1 OWNED BY change.id;
