CREATE TABLE leads (id integer PRIMARY KEY, email text);
CREATE TABLE old_stuff (id int PRIMARY KEY);
