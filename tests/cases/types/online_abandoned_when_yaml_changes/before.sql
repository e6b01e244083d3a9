CREATE TABLE visits (id integer PRIMARY KEY, hits integer NOT NULL);
INSERT INTO visits SELECT g, g % 13 FROM generate_series(1, 50) g;
-- An online change to bigint, interrupted during its backfill; the YAML now asks for numeric(12,0).
ALTER TABLE visits ADD COLUMN hits_pgevolve_new bigint;
CREATE FUNCTION visits_hits_pgevolve_retype() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hits_pgevolve_new := NEW.hits;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION visits_hits_pgevolve_retype() IS 'pgevolve retype {"backfilled": false, "column": "hits", "shadow": "hits_pgevolve_new", "type": "bigint", "using": null}';
CREATE TRIGGER visits_hits_pgevolve_retype BEFORE INSERT OR UPDATE ON visits FOR EACH ROW EXECUTE FUNCTION visits_hits_pgevolve_retype();
UPDATE visits SET hits_pgevolve_new = hits WHERE id <= 20;
ANALYZE;
