CREATE TABLE leads (
  id integer PRIMARY KEY,
  status text DEFAULT 'new',
  ratio double precision DEFAULT 1.5,
  negative integer DEFAULT -1,
  flag boolean DEFAULT false,
  data jsonb DEFAULT '{}',
  seen date DEFAULT CURRENT_DATE,
  tags text[] DEFAULT '{}',
  amount numeric(12,2) DEFAULT 0,
  big bigint DEFAULT 10000000000
);
