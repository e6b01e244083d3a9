-- Issue 11, item 11: a table without columns was not imported, then dropped by the first plan.
CREATE TABLE marker ();
COMMENT ON TABLE marker IS 'Exists, nothing more.';
