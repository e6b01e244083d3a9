CREATE TYPE contact_method AS ENUM ('email', 'phone');
CREATE TABLE clients (
  id integer PRIMARY KEY,
  client_type text CONSTRAINT clients_client_type_check CHECK (client_type IN ('Individual', 'Business')),
  preferred contact_method
);
