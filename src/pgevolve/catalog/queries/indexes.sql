-- Indexes of the owned schema's tables that do not back a constraint (those are
-- the constraints' business). Keys come as attnums (0 for an expression key,
-- whose text PostgreSQL prints itself: pg_get_indexdef with a column number
-- gives just that key). Opclasses are named only when not the type's default, schema-qualified
-- when they live outside pg_catalog and the owned schema (an extension installed elsewhere).
-- An index with something the format cannot express has its unmanaged_reason (index_unmanaged_reason.sql):
-- introspect.py leaves it out of the model and reports it as unmanaged, never dropped, never rebuilt.
-- The reason is computed here once (it deparses each expression index) rather than again in unmanaged.sql.
-- indnullsnotdistinct (PostgreSQL 15+) is read through to_jsonb so that older servers read false.
WITH opclass_names AS (
    -- Each index's operator classes by key, in one join for the whole schema (a lookup per key scans
    -- pg_opclass once per key).
    SELECT k.indexrelid,
           array_agg(CASE WHEN opc.opcdefault THEN NULL
                          WHEN opcns.nspname IN ('pg_catalog', %(schema)s) THEN opc.opcname::text
                          ELSE opcns.nspname || '.' || opc.opcname END ORDER BY k.ord)::text[] AS names
    FROM (SELECT i.indexrelid, key.opclass, key.ord
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indrelid AND c.relkind = 'r'
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = %(schema)s,
               unnest(i.indclass::oid[]) WITH ORDINALITY key(opclass, ord)) k
    JOIN pg_opclass opc ON opc.oid = k.opclass
    JOIN pg_namespace opcns ON opcns.oid = opc.opcnamespace
    GROUP BY k.indexrelid
)
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
       opclass_names.names AS opclasses,
       i.indoption::int2[] AS options,
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct,
       c.relname AS table_name,
       c.relispartition AS in_partition,
       why.reason AS unmanaged_reason
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
JOIN opclass_names ON opclass_names.indexrelid = i.indexrelid
LEFT JOIN pg_description ds ON ds.objoid = i.indexrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
CROSS JOIN LATERAL (SELECT /*include index_unmanaged_reason*/ AS reason) why
WHERE n.nspname = %(schema)s AND c.relkind = 'r'
  -- NOT IN over one hashed set: pg_constraint has no index on conindid, so a
  -- correlated NOT EXISTS would scan it once per index.
  AND i.indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x') AND conindid <> 0)
ORDER BY i.indrelid, ic.relname
