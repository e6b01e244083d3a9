-- Issue 11, item 11: INCLUDE columns on primary keys, UNIQUE constraints and indexes.
CREATE TABLE acct (id integer, email text NOT NULL, name text, plan text,
                   CONSTRAINT acct_pkey PRIMARY KEY (id) INCLUDE (name),
                   CONSTRAINT acct_email_key UNIQUE (email) INCLUDE (plan, name));
CREATE INDEX acct_plan_idx ON acct (plan) INCLUDE (email);
INSERT INTO acct VALUES (1, 'a@x', 'A', 'free');
