CREATE TABLE leads (id integer PRIMARY KEY, email text, seen_at timestamp);
