CREATE TYPE priority AS ENUM ('high', 'low', 'medium', 'urgent');
CREATE TABLE tickets (id integer PRIMARY KEY, priority priority);
CREATE VIEW open_tickets AS SELECT id, priority FROM tickets;
