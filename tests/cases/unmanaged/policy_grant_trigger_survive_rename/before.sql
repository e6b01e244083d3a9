CREATE TABLE prospects (id integer PRIMARY KEY, owner text);
ALTER TABLE prospects ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON prospects USING (owner = current_user);
GRANT SELECT ON prospects TO PUBLIC;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER prospects_touch BEFORE UPDATE ON prospects FOR EACH ROW EXECUTE FUNCTION touch();
CREATE MATERIALIZED VIEW prospect_count AS SELECT count(*) FROM prospects;
CREATE SEQUENCE invoice_seq;
