CREATE TYPE priority AS ENUM ('high', 'low', 'medium');
CREATE TABLE tickets (id integer PRIMARY KEY, priority priority);
