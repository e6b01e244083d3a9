CREATE TABLE agencies (id integer PRIMARY KEY, region text NOT NULL, code text NOT NULL, CONSTRAINT agencies_code_key UNIQUE (region, code));
CREATE TABLE agents (id integer PRIMARY KEY, region text, agency_code text,
    CONSTRAINT agents_agency_fkey FOREIGN KEY (region, agency_code) REFERENCES agencies (region, code));
