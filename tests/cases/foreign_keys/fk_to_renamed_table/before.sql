CREATE TABLE staff (id integer PRIMARY KEY);
CREATE TABLE leads (id integer PRIMARY KEY, agent_id integer REFERENCES staff (id));
