-- Issue 11, item 13: the key moves to uid and id becomes nullable: DROP NOT NULL must wait for the swap.
CREATE TABLE acct (id integer PRIMARY KEY, uid uuid NOT NULL);
INSERT INTO acct VALUES (1, '00000000-0000-0000-0000-000000000001'), (2, '00000000-0000-0000-0000-000000000002');
