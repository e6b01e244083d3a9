-- Properties of the owned tables and their columns that the YAML format does not describe, and that a
-- fresh build from the YAML would not have: what `drift --strict` reports as changed by hand.
-- One row per property: kind, object (table or table.column), property, live, expected.
-- - owner: a fresh build gives every table one owner (the role that applies); the expected owner is
--   the one that owns most of the owned tables (ties: the first by name), so one table handed to
--   another role by hand stands out.
-- - grants: privileges held by a role other than the owner, except those ALTER DEFAULT PRIVILEGES of
--   the owner would have given to a table created now (pg_default_acl, in this schema or globally).
-- - UNLOGGED, a tablespace, storage parameters the format does not manage (user_catalog_table: the
--   fillfactor, autovacuum_* and vacuum_* ones are the YAML's `storage:`, sqltext/storage.py), a
--   REPLICA IDENTITY on an index the format does not manage (indexes.sql leaves it out, on the same
--   CASE), per-column statistics targets (attstattarget: -1 before PostgreSQL 17, NULL since, means
--   the default), per-column options (n_distinct), storage (attstorage other than the type's),
--   compression, an identity column's sequence options other than the defaults (the format says
--   `identity: always` or `by default`; ALTER TABLE ... ADD GENERATED ... AS IDENTITY builds the defaults),
--   and a NOT NULL constraint NOT VALID (PostgreSQL 18: rows may hold NULL; a fresh build validates it).
WITH owned AS (
    SELECT c.oid, c.relname::text AS relname, c.relowner, c.relacl, c.relpersistence, c.reloptions,
           c.relnamespace, c.relforcerowsecurity, c.reltablespace, c.relreplident
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
), usual_owner AS (
    SELECT o.relowner FROM owned o GROUP BY o.relowner ORDER BY count(*) DESC, min(pg_get_userbyid(o.relowner))
    LIMIT 1
), defaults AS (
    SELECT d.defaclrole, a.grantee, a.privilege_type
    FROM pg_default_acl d, aclexplode(d.defaclacl) a
    WHERE d.defaclobjtype = 'r'
      AND (d.defaclnamespace = 0 OR d.defaclnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s))
), table_grants AS (
    SELECT o.relname AS object, a.grantee, a.privilege_type
    FROM owned o, aclexplode(o.relacl) a
    WHERE a.grantee <> o.relowner
      AND NOT EXISTS (SELECT 1 FROM defaults d WHERE d.defaclrole = o.relowner AND d.grantee = a.grantee
                      AND d.privilege_type = a.privilege_type)
), column_grants AS (
    SELECT o.relname || '.' || att.attname AS object, a.grantee, a.privilege_type
    FROM owned o JOIN pg_attribute att ON att.attrelid = o.oid AND att.attnum > 0 AND NOT att.attisdropped,
         aclexplode(att.attacl) a
    WHERE a.grantee <> o.relowner
), columns AS (
    SELECT o.relname || '.' || att.attname AS object, att.attstattarget, att.attoptions, att.attstorage,
           t.typstorage, att.attcompression
    FROM owned o
    JOIN pg_attribute att ON att.attrelid = o.oid AND att.attnum > 0 AND NOT att.attisdropped
    JOIN pg_type t ON t.oid = att.atttypid
), identities AS (
    SELECT o.relname || '.' || att.attname AS object, s.*,
           CASE s.seqtypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647
                           ELSE 9223372036854775807 END AS type_max
    FROM owned o
    JOIN pg_attribute att ON att.attrelid = o.oid AND att.attnum > 0 AND NOT att.attisdropped AND att.attidentity <> ''
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                    AND d.refobjid = o.oid AND d.refobjsubid = att.attnum AND d.deptype = 'i'
    JOIN pg_sequence s ON s.seqrelid = d.objid
), identity_options AS (
    -- CREATE SEQUENCE's defaults: ascending from 1 to the type's maximum, descending from -1 to its minimum
    SELECT i.object, concat_ws(' ',
               CASE WHEN i.seqincrement <> 1 THEN 'INCREMENT BY ' || i.seqincrement END,
               CASE WHEN i.seqmin <> CASE WHEN i.seqincrement > 0 THEN 1 ELSE -i.type_max - 1 END
                    THEN 'MINVALUE ' || i.seqmin END,
               CASE WHEN i.seqmax <> CASE WHEN i.seqincrement > 0 THEN i.type_max ELSE -1 END
                    THEN 'MAXVALUE ' || i.seqmax END,
               CASE WHEN i.seqstart <> CASE WHEN i.seqincrement > 0 THEN i.seqmin ELSE i.seqmax END
                    THEN 'START WITH ' || i.seqstart END,
               CASE WHEN i.seqcache <> 1 THEN 'CACHE ' || i.seqcache END,
               CASE WHEN i.seqcycle THEN 'CYCLE' END) AS options
    FROM identities i
)
SELECT kind, object, property, live, expected FROM (
    SELECT 'table' AS kind, o.relname AS object, 'owner' AS property,
           pg_get_userbyid(o.relowner)::text AS live, pg_get_userbyid(u.relowner)::text AS expected
    FROM owned o, usual_owner u WHERE o.relowner <> u.relowner
    UNION ALL
    SELECT CASE WHEN g.object LIKE '%%.%%' THEN 'column' ELSE 'table' END, g.object,
           'grants to ' || CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee)::text END,
           string_agg(g.privilege_type, ', ' ORDER BY g.privilege_type), NULL
    FROM (SELECT * FROM table_grants UNION ALL SELECT * FROM column_grants) g
    GROUP BY g.object, g.grantee
    UNION ALL
    SELECT 'table', o.relname, 'persistence', 'UNLOGGED', 'LOGGED' FROM owned o WHERE o.relpersistence = 'u'
    UNION ALL
    SELECT 'table', o.relname, 'row level security', 'FORCE', NULL FROM owned o WHERE o.relforcerowsecurity
    UNION ALL
    SELECT 'table', o.relname, 'tablespace', (SELECT spcname::text FROM pg_tablespace WHERE oid = o.reltablespace),
           NULL
    FROM owned o WHERE o.reltablespace <> 0
    UNION ALL
    SELECT 'table', o.relname, 'storage parameter ' || split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1),
           NULL
    FROM owned o, unnest(o.reloptions) opt
    WHERE split_part(opt, '=', 1) !~ '^(autovacuum_|log_autovacuum_|vacuum_|fillfactor$|toast_tuple_target$|parallel_workers$)'
    UNION ALL
    SELECT 'table', o.relname, 'replica identity', 'USING INDEX ' || ic.relname, 'DEFAULT'
    FROM owned o JOIN pg_index i ON i.indrelid = o.oid AND i.indisreplident AND o.relreplident = 'i'
    JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
    WHERE /*include index_unmanaged_reason*/ IS NOT NULL
    UNION ALL
    SELECT 'column', c.object, 'statistics target', c.attstattarget::text, NULL
    FROM columns c WHERE NULLIF(c.attstattarget, -1) IS NOT NULL
    UNION ALL
    SELECT 'column', c.object, 'option ' || split_part(opt, '=', 1), substr(opt, strpos(opt, '=') + 1), NULL
    FROM columns c, unnest(c.attoptions) opt
    UNION ALL
    SELECT 'column', c.object, 'storage',
           CASE c.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END,
           CASE c.typstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END
    FROM columns c WHERE c.attstorage <> c.typstorage
    UNION ALL
    SELECT 'column', c.object, 'compression', CASE c.attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END, NULL
    FROM columns c WHERE c.attcompression <> ''
    UNION ALL
    SELECT 'column', i.object, 'identity options', i.options, NULL FROM identity_options i WHERE i.options <> ''
    UNION ALL
    SELECT 'column', o.relname || '.' || a.attname, 'not null', 'NOT VALID', 'validated'
    FROM owned o JOIN pg_constraint con ON con.conrelid = o.oid AND con.contype = 'n' AND NOT con.convalidated
    JOIN pg_attribute a ON a.attrelid = o.oid AND a.attnum = con.conkey[1]
) found
ORDER BY kind DESC, object, property
