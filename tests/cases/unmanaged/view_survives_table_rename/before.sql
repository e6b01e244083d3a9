CREATE TABLE prospects (id integer PRIMARY KEY, mail text);
CREATE VIEW prospect_mails AS SELECT mail FROM prospects;
