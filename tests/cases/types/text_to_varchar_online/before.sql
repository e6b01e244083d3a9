CREATE TABLE contacts (id integer PRIMARY KEY, email text NOT NULL UNIQUE, city text);
CREATE INDEX contacts_lower_email_idx ON contacts (lower(email));
INSERT INTO contacts SELECT g, 'user' || g || '@example.com', CASE WHEN g % 4 = 0 THEN NULL ELSE 'Lyon' END
FROM generate_series(1, 30) g;
ANALYZE;
