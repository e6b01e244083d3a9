CREATE TYPE status AS ENUM ('new', 'open', 'closed', 'spam');
CREATE TABLE tickets (id integer PRIMARY KEY, status status NOT NULL, CONSTRAINT tickets_status_check CHECK (status <> 'closed' OR id > 0));
CREATE INDEX tickets_open_idx ON tickets (id) WHERE status = 'open';
