-- Old rows violate both: declared not_valid, neither is validated, and the plan applies.
CREATE TABLE acct (id integer PRIMARY KEY);
CREATE TABLE note (id integer PRIMARY KEY, acct_id integer, body text);
INSERT INTO acct VALUES (1);
INSERT INTO note VALUES (1, 1, 'ok'), (2, 99, ''), (3, NULL, 'x');
