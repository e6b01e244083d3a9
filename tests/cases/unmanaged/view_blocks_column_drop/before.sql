CREATE TABLE leads (id integer PRIMARY KEY, email text, fax text);
CREATE VIEW lead_faxes AS SELECT id, fax FROM leads;
