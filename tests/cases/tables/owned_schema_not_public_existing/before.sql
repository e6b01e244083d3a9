CREATE SCHEMA crm;
CREATE TYPE crm.mood AS ENUM ('good', 'bad', 'ugly');
CREATE TABLE crm.agents (id integer PRIMARY KEY, mood crm.mood DEFAULT 'good');
CREATE TABLE public.agents (id integer PRIMARY KEY);
