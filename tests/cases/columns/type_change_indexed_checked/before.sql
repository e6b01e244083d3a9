CREATE TABLE leads (id integer PRIMARY KEY, email text, visits integer CHECK (visits >= 0));
CREATE INDEX leads_visits_idx ON leads (visits);
