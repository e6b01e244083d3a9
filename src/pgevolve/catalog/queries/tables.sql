-- Plain tables of the owned schema. Partitioned tables, partitions and
-- inheritance children are not managed (reported by unmanaged.sql), nor are
-- tables that belong to an extension, nor tables with a column the format cannot
-- declare (undeclarable_columns.sql: a row type, a virtual generated column).
-- reloptions: the table's storage parameters, and its TOAST table's prefixed with 'toast.'.
-- replica_identity_index: the index REPLICA IDENTITY USING INDEX names (relreplident 'i').
-- reltuples: -1 until the table is first vacuumed or analyzed; then heap_bytes (a stat of the file, and a
-- brief ACCESS SHARE lock) lets introspect.py bound the rows from the size instead.
SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
       c.reloptions AS reloptions, toast.reloptions AS toast_reloptions,
       c.relreplident AS replica_identity, ric.relname AS replica_identity_index,
       c.reltuples::bigint AS reltuples,
       CASE WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) END AS heap_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid AND toast.reloptions IS NOT NULL
LEFT JOIN pg_index ri ON ri.indrelid = c.oid AND ri.indisreplident AND c.relreplident = 'i'
LEFT JOIN pg_class ric ON ric.oid = ri.indexrelid
WHERE n.nspname = %(schema)s
  AND c.relkind = 'r'
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM (SELECT c.oid) rel CROSS JOIN LATERAL /*include undeclarable_columns*/ u)
ORDER BY c.relname
