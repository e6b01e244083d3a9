CREATE TABLE agents (id integer PRIMARY KEY);
CREATE TABLE prospects (id integer PRIMARY KEY, email text UNIQUE, agent_id integer REFERENCES agents (id));
CREATE INDEX prospects_agent_id_idx ON prospects (agent_id);
