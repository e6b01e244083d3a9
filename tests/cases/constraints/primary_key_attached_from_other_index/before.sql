CREATE TABLE users (id integer NOT NULL, email text);
CREATE UNIQUE INDEX users_id_uniq ON users (id);
