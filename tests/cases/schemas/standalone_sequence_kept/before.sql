-- Issue 11 item 6: a default on a sequence the column does not own, named like a serial's, with its own
-- type, START and INCREMENT: kept standalone (prerequisites.sql creates it on an empty database).
CREATE SEQUENCE item_id_seq AS bigint START 1000 INCREMENT 5;
CREATE TABLE item (id bigint PRIMARY KEY DEFAULT nextval('item_id_seq'), label text);
CREATE SEQUENCE other_seq;
