-- Plain tables of the owned schema. Partitioned tables, partitions and
-- inheritance children are not managed (reported by unmanaged.sql), nor are
-- tables that belong to an extension.
-- reltuples: -1 until the table is first vacuumed or analyzed; then heap_bytes (a stat of the file, and a
-- brief ACCESS SHARE lock) lets introspect.py bound the rows from the size instead.
SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
       c.reltuples::bigint AS reltuples,
       CASE WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) END AS heap_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s
  AND c.relkind = 'r'
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY c.relname
