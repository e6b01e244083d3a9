CREATE TABLE leads (id integer PRIMARY KEY, car jsonb);
CREATE INDEX leads_car_vin_idx ON leads ((car->>'vin'));
