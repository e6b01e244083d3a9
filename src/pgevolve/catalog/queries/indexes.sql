-- Indexes of the owned schema's tables that do not back a constraint (those are
-- the constraints' business). Keys come as attnums (0 for an expression key,
-- whose text PostgreSQL prints itself: pg_get_indexdef with a column number
-- gives just that key). Opclasses are named only when not the type's default, schema-qualified
-- when they live outside pg_catalog and the owned schema (an extension installed elsewhere).
-- An index with something the format cannot express is left out here and reported by
-- unmanaged.sql instead (same conditions, kept in step): never dropped, never rebuilt.
-- indnullsnotdistinct (PostgreSQL 15+) is read through to_jsonb so that older servers read false.
SELECT i.indrelid AS table_oid,
       ic.relname AS name,
       i.indisunique AS unique,
       am.amname AS method,
       pg_get_expr(i.indpred, i.indrelid) AS where,
       i.indisvalid AS valid,
       i.indnkeyatts AS key_count,
       ds.description AS comment,
       i.indkey::int2[] AS keys,
       CASE WHEN i.indexprs IS NOT NULL THEN
           ARRAY(SELECT CASE WHEN i.indkey[k.ord - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
                 FROM generate_series(1, i.indnatts) k(ord) ORDER BY k.ord)::text[]
       END AS expressions,
       ARRAY(
           SELECT CASE WHEN opc.opcdefault THEN NULL
                       WHEN opcns.nspname IN ('pg_catalog', %(schema)s) THEN opc.opcname::text
                       ELSE opcns.nspname || '.' || opc.opcname END
           FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opclass, ord)
           JOIN pg_opclass opc ON opc.oid = k.opclass
           JOIN pg_namespace opcns ON opcns.oid = opc.opcnamespace ORDER BY k.ord
       )::text[] AS opclasses,
       i.indoption::int2[] AS options,
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_description ds ON ds.objoid = i.indexrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
WHERE n.nspname = %(schema)s AND c.relkind = 'r'
  -- NOT IN over one hashed set: pg_constraint has no index on conindid, so a
  -- correlated NOT EXISTS would scan it once per index.
  AND i.indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x') AND conindid <> 0)
  -- What the format cannot express (the same conditions as the 'index' rows of unmanaged.sql):
  -- another access method, storage parameters, operator class parameters, a collation per key.
  AND am.amname IN ('btree', 'hash', 'gist', 'spgist', 'gin', 'brin')
  AND ic.reloptions IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_attribute ia WHERE ia.attrelid = i.indexrelid AND ia.attoptions IS NOT NULL)
  AND NOT EXISTS (
      SELECT 1 FROM unnest(i.indkey::int2[], i.indcollation::oid[]) WITH ORDINALITY k(attnum, coll, ord)
      LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = k.attnum AND k.attnum > 0
      LEFT JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord
      LEFT JOIN pg_type it ON it.oid = ia.atttypid
      WHERE k.ord <= i.indnkeyatts AND k.coll <> 0
        AND k.coll <> coalesce(ta.attcollation, it.typcollation))
ORDER BY i.indrelid, ic.relname
