CREATE TYPE contact_method AS ENUM ('email', 'sms');
CREATE TABLE leads (id integer PRIMARY KEY, email text);
