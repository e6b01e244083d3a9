CREATE TABLE leads (id integer PRIMARY KEY, mail text UNIQUE CHECK (mail <> ''));
CREATE INDEX leads_mail_idx ON leads (lower(mail));
