CREATE TABLE agents (id integer PRIMARY KEY, code text UNIQUE);
CREATE TABLE leads (id integer PRIMARY KEY, agent_code text REFERENCES agents (code));
