CREATE TABLE agents (id integer PRIMARY KEY, code text);
CREATE UNIQUE INDEX agents_code_idx ON agents (code);
CREATE TABLE leads (id integer PRIMARY KEY, agent_code text REFERENCES agents (code));
