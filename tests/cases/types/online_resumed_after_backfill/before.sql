CREATE TABLE visits (id integer PRIMARY KEY, hits integer NOT NULL DEFAULT 0);
CREATE INDEX visits_hits_idx ON visits (hits);
INSERT INTO visits SELECT g, g % 13 FROM generate_series(1, 50) g;
-- What an apply interrupted after its backfill leaves: the shadow with its values, the sync trigger
-- (marked backfilled), the helper CHECK added NOT VALID, the index built aside INVALID (killed mid-build).
ALTER TABLE visits ADD COLUMN hits_pgevolve_new bigint;
CREATE FUNCTION visits_hits_pgevolve_retype() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hits_pgevolve_new := NEW.hits;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION visits_hits_pgevolve_retype() IS 'pgevolve retype {"backfilled": true, "column": "hits", "shadow": "hits_pgevolve_new", "type": "bigint", "using": null}';
CREATE TRIGGER visits_hits_pgevolve_retype BEFORE INSERT OR UPDATE ON visits FOR EACH ROW EXECUTE FUNCTION visits_hits_pgevolve_retype();
UPDATE visits SET hits_pgevolve_new = hits;
ALTER TABLE visits ADD CONSTRAINT visits_hits_pgevolve_new_not_null CHECK (hits_pgevolve_new IS NOT NULL) NOT VALID;
CREATE INDEX visits_hits_idx_pgevolve_new ON visits (hits_pgevolve_new);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'visits_hits_idx_pgevolve_new'::regclass;
ANALYZE;
