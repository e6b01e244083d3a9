-- The columns of a relation `rel` (its oid) that the format cannot declare, with why: a column typed by
-- another relation's row type (or an array of it), or a virtual generated column (PostgreSQL 18;
-- `generated:` is STORED). A plain table with one is left alone like a partition. Included as
-- (SELECT x.oid) rel CROSS JOIN LATERAL <this> u, by tables.sql and prerequisites.sql (NOT EXISTS: which
-- tables are managed), unmanaged.sql (which are not, and why) and constraints.sql (a referenced table):
-- one text, so the four agree.
SELECT format('column %%s has the row type of %%s', quote_ident(a.attname), rr.oid::regclass) AS why, a.attnum
FROM pg_depend rd JOIN pg_type rt ON rt.oid = rd.refobjid
JOIN pg_class rr ON rr.oid IN (rt.typrelid, (SELECT et.typrelid FROM pg_type et WHERE et.oid = rt.typelem))
JOIN pg_attribute a ON a.attrelid = rd.objid AND a.attnum = rd.objsubid
WHERE rd.classid = 'pg_class'::regclass AND rd.objid = rel.oid AND rd.objsubid > 0
  AND rd.refclassid = 'pg_type'::regclass AND rr.relkind <> 'c'
UNION ALL
SELECT format('column %%s is a virtual generated column', quote_ident(a.attname)), a.attnum
FROM pg_attribute a WHERE a.attrelid = rel.oid AND a.attnum > 0 AND a.attgenerated = 'v'
