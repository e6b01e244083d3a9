-- Plain tables of the owned schema. Partitioned tables, partitions and
-- inheritance children are not managed (reported by unmanaged.sql), nor are
-- tables that belong to an extension.
-- reloptions: the table's storage parameters, and its TOAST table's prefixed with 'toast.'.
-- replica_identity_index: the index REPLICA IDENTITY USING INDEX names (relreplident 'i').
SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
       c.reloptions AS reloptions, toast.reloptions AS toast_reloptions,
       c.relreplident AS replica_identity, ric.relname AS replica_identity_index
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
ORDER BY c.relname
