-- Indexes of the owned schema's tables that do not back a constraint (those are
-- the constraints' business). Keys come as attnums (0 for an expression key,
-- whose text PostgreSQL prints itself: pg_get_indexdef with a column number
-- gives just that key). Opclasses are named only when not the type's default, as SQL names
-- (quote_ident: "MyOps" stays itself when sqltext/fragments.py reads it back).
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
           SELECT CASE WHEN opc.opcdefault THEN NULL ELSE quote_ident(opc.opcname) END
           FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opclass, ord)
           JOIN pg_opclass opc ON opc.oid = k.opclass ORDER BY k.ord
       )::text[] AS opclasses,
       i.indoption::int2[] AS options
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
ORDER BY i.indrelid, ic.relname
