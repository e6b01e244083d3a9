CREATE EXTENSION "uuid-ossp";
CREATE TABLE leads (id integer PRIMARY KEY, email text);
