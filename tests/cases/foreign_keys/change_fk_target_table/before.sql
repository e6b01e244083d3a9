CREATE TABLE agents (id integer PRIMARY KEY);
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE leads (id integer PRIMARY KEY, owner_id integer REFERENCES agents (id));
