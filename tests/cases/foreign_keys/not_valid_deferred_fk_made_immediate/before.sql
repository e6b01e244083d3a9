CREATE TABLE agents (id integer PRIMARY KEY);
CREATE TABLE leads (id integer PRIMARY KEY, agent_id integer);
ALTER TABLE leads ADD CONSTRAINT leads_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES agents (id) DEFERRABLE INITIALLY DEFERRED NOT VALID;
