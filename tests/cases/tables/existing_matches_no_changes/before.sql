CREATE TABLE agents (id serial PRIMARY KEY, email varchar(320) NOT NULL UNIQUE, active boolean NOT NULL DEFAULT true, score numeric(5,2) DEFAULT 0.5, created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, kind text DEFAULT 'agent' CHECK (kind IN ('agent', 'manager')));
CREATE INDEX agents_lower_email_idx ON agents (lower(email));
COMMENT ON TABLE agents IS 'Staff';
