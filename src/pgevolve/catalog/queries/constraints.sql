-- Primary keys, UNIQUE, CHECK and FOREIGN KEY constraints of the owned schema's tables.
-- Key columns come as attnums (conkey, confkey); introspect.py names them from the
-- columns query. A foreign key to a table that query does not read (outside the
-- owned schema, or a partitioned table: relkind 'p') gets its referenced column
-- names here instead.
-- Exclusion constraints are not managed (unmanaged.sql).
SELECT con.conrelid AS table_oid,
       con.conname AS name,
       con.contype AS type,
       con.conkey::int2[] AS keys,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression,
       con.confrelid AS ref_oid,
       ref.relname AS ref_table,
       refns.nspname AS ref_schema,
       con.confkey::int2[] AS ref_keys,
       CASE WHEN con.contype = 'f' AND (refns.nspname <> %(schema)s OR ref.relkind <> 'r') THEN
           ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)::text[]
       END AS foreign_ref_columns,
       con.confdeltype AS on_delete,
       con.confupdtype AS on_update,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       con.convalidated AS valid,
       con.connoinherit AS no_inherit,
       con.confmatchtype AS match_type,
       -- ON DELETE SET NULL / SET DEFAULT of some of the key's columns only (PostgreSQL 15+, read through
       -- to_jsonb so that older servers read NULL): not in the format (unmanaged.sql says so, on the same CASE)
       CASE WHEN con.contype = 'f' AND con.confdeltype IN ('n', 'd')
            THEN jsonb_typeof(to_jsonb(con) -> 'confdelsetcols') = 'array' END AS partial_set,
       /*include constraint_unmanaged_reason*/ AS unmanaged_reason,
       -- A foreign key to another schema is modelled when it references a plain table: not a partitioned
       -- table, a partition, an inheritance child, a table of an extension or one with a column the format
       -- cannot declare (unmanaged.sql lists those). In the owned schema, tables.sql's rows decide.
       CASE WHEN con.contype = 'f' AND refns.nspname <> %(schema)s THEN (ref.relkind = 'r' AND NOT ref.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_inherits ri WHERE ri.inhrelid = ref.oid)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = ref.oid
                        AND d.deptype = 'e')
        AND NOT EXISTS (SELECT 1 FROM (SELECT ref.oid) rel CROSS JOIN LATERAL /*include undeclarable_columns*/ u)
       ) END AS ref_plain,
       -- PRIMARY KEY / UNIQUE: the INCLUDE columns and NULLS NOT DISTINCT of the index behind it
       -- (indnullsnotdistinct, PostgreSQL 15+, read through to_jsonb so that older servers read false).
       CASE WHEN con.contype IN ('p', 'u') THEN
           (SELECT (i.indkey::int2[])[i.indnkeyatts:] FROM pg_index i WHERE i.indexrelid = con.conindid)
       END AS include_keys,
       coalesce((SELECT (to_jsonb(i) ->> 'indnullsnotdistinct')::boolean FROM pg_index i
                 WHERE i.indexrelid = con.conindid AND con.contype = 'u'), false) AS nulls_not_distinct
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class ref ON ref.oid = con.confrelid
LEFT JOIN pg_namespace refns ON refns.oid = ref.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND con.contype IN ('p', 'u', 'c', 'f')
  -- A foreign key to a partitioned table gets one internal clone per partition
  -- (conparentid names the user's constraint): PostgreSQL's bookkeeping, not the schema.
  AND con.conparentid = 0
ORDER BY con.conrelid, con.conname
