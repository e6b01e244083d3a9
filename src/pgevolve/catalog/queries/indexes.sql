-- Indexes of the owned schema's tables that do not back a constraint (those are
-- the constraints' business). Keys: a column, or an expression in the server's
-- own spelling (pg_get_indexdef with a column number prints just that key).
SELECT i.indrelid AS table_oid,
       ic.relname AS name,
       i.indisunique AS unique,
       am.amname AS method,
       pg_get_expr(i.indpred, i.indrelid) AS where,
       i.indisvalid AS valid,
       i.indnkeyatts AS key_count,
       obj_description(i.indexrelid, 'pg_class') AS comment,
       ARRAY(
           SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname END
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
           LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       )::text[] AS columns,
       ARRAY(
           SELECT pg_get_indexdef(i.indexrelid, k.ord::int, true)
           FROM generate_series(1, i.indnatts) k(ord) ORDER BY k.ord
       )::text[] AS definitions,
       ARRAY(
           SELECT CASE WHEN opc.opcdefault THEN NULL ELSE opc.opcname END
           FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opclass, ord)
           JOIN pg_opclass opc ON opc.oid = k.opclass ORDER BY k.ord
       )::text[] AS opclasses,
       i.indoption::int2[] AS options
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE n.nspname = %(schema)s AND c.relkind = 'r'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname
