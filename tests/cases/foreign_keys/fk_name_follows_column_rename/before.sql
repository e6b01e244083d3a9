CREATE TABLE agents (id integer PRIMARY KEY);
CREATE TABLE leads (id integer PRIMARY KEY, agent integer REFERENCES agents (id));
