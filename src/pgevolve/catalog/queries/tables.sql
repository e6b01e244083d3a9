-- Plain tables of the owned schema. Partitioned tables, partitions and
-- inheritance children are not managed (reported by unmanaged.sql), nor are
-- tables that belong to an extension, nor tables with a column typed by another
-- relation's row type (or an array of it), which the format cannot declare: that
-- last condition, "rowtype", is kept in step in prerequisites.sql, unmanaged.sql
-- and constraints.sql.
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
  AND NOT EXISTS (SELECT 1 FROM pg_depend rd JOIN pg_type rt ON rt.oid = rd.refobjid
              JOIN pg_class rr ON rr.oid IN (rt.typrelid, (SELECT et.typrelid FROM pg_type et WHERE et.oid = rt.typelem))
              WHERE rd.classid = 'pg_class'::regclass AND rd.objid = c.oid AND rd.objsubid > 0
                AND rd.refclassid = 'pg_type'::regclass AND rr.relkind <> 'c')  -- rowtype
ORDER BY c.relname
