CREATE TABLE slot (id integer PRIMARY KEY, pos integer);
INSERT INTO slot VALUES (1, 1), (2, 2);
