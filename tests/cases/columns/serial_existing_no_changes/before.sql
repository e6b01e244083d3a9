CREATE TABLE counters (id serial PRIMARY KEY, big bigserial, small smallserial);
