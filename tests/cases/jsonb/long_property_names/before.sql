CREATE TABLE support_tickets (id integer PRIMARY KEY);
