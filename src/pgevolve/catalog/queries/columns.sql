-- Columns of every table in the owned schema, in attnum order.
-- serial: a nextval() default on a sequence of the same schema that the column
-- owns (deptype 'a'); serial_default is that default spelled as pg_get_expr
-- spells it (regclass text follows search_path), so introspect.py can tell a
-- serial from a column that owns one sequence but draws from another.
-- Identity columns own their sequence too (deptype 'i') and have no default.
-- Comments and owned sequences come from joins, not per-row function calls:
-- this query reads every column of the schema at once.
WITH owned_tables AS (
    SELECT c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind = 'r'
), owned_sequences AS (
    SELECT d.refobjid, d.refobjsubid, s.relname,
           format('nextval(%%L::regclass)', s.oid::regclass::text) AS serial_default
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_namespace sn ON sn.oid = s.relnamespace AND sn.nspname = %(schema)s
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
      AND d.refobjid IN (SELECT oid FROM owned_tables)
)
SELECT a.attrelid AS table_oid,
       a.attnum AS attnum,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default,
       CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END AS identity,
       -- A collation is its name as it is; one that starts with '"' in SQL quotes (sqltext/fragments.py).
       CASE WHEN a.attcollation <> t.typcollation THEN
           CASE WHEN co.collname LIKE '"%%' THEN quote_ident(co.collname) ELSE co.collname END END AS collation,
       ds.description AS comment,
       os.relname AS owned_sequence,
       os.serial_default
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = a.attnum
LEFT JOIN owned_sequences os ON os.refobjid = a.attrelid AND os.refobjsubid = a.attnum
WHERE a.attrelid IN (SELECT oid FROM owned_tables) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
