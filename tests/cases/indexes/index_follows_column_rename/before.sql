CREATE TABLE leads (id integer PRIMARY KEY, mail text);
CREATE INDEX leads_mail_idx ON leads (mail);
