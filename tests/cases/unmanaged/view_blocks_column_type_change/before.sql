CREATE TABLE leads (id integer PRIMARY KEY, score integer);
CREATE VIEW lead_scores AS SELECT id, score FROM leads;
