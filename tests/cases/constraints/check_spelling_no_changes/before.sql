CREATE TABLE leads (id integer PRIMARY KEY, score integer, email text,
  CONSTRAINT leads_score_check CHECK (score between 0 and 100),
  CONSTRAINT leads_email_check CHECK (email ~* '^[^@]+@[^@]+$' AND length(email) <= 320));
