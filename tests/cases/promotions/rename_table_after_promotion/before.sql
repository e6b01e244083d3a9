CREATE TABLE leads (
  id integer PRIMARY KEY,
  custom_fields jsonb NOT NULL DEFAULT '{}',
  referral_source text,
  CONSTRAINT leads_custom_fields_check CHECK (jsonb_typeof(custom_fields) = 'object')
);
CREATE INDEX leads_custom_fields_idx ON leads USING gin (custom_fields);
CREATE FUNCTION leads_referral_source_promote() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.custom_fields ? 'referral_source' THEN
        NEW.referral_source := (NEW.custom_fields ->> 'referral_source');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION leads_referral_source_promote() IS 'pgevolve promotion {"backfilled": true, "column": "referral_source", "key": "referral_source", "source_column": "custom_fields"}';
CREATE TRIGGER leads_referral_source_promote BEFORE INSERT OR UPDATE OF custom_fields ON leads FOR EACH ROW EXECUTE FUNCTION leads_referral_source_promote();
