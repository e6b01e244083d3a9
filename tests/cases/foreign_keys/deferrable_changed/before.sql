CREATE TABLE agents (id integer PRIMARY KEY);
CREATE TABLE leads (id integer PRIMARY KEY, agent_id integer REFERENCES agents (id));
