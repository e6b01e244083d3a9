CREATE TABLE bookings (id integer PRIMARY KEY, during tstzrange);
