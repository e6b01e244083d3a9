-- Issue 11, item 11: NULLS NOT DISTINCT on UNIQUE constraints and indexes was lost on rebuild.
CREATE TABLE member (id integer PRIMARY KEY, org integer, email text, phone text,
                     CONSTRAINT member_org_email_key UNIQUE NULLS NOT DISTINCT (org, email));
CREATE UNIQUE INDEX member_phone_idx ON member (phone) NULLS NOT DISTINCT;
INSERT INTO member VALUES (1, 1, 'a@x', NULL), (2, NULL, NULL, '555');
