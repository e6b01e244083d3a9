CREATE TABLE member (id integer PRIMARY KEY, org integer, email text, CONSTRAINT member_org_email_key UNIQUE (org, email));
INSERT INTO member VALUES (1, 1, 'a@x'), (2, NULL, 'b@x'), (3, 1, NULL);
