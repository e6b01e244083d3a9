-- What the format does not cover, in the owned schema: reported, never planned.
-- Extension members (deptype 'e') and sequences owned by a column (serial,
-- identity: deptype 'a'/'i') belong to something pgevolve already manages.
-- pgevolve's own promotion sync triggers and their functions (commented 'pgevolve promotion {...}',
-- see catalog/queries/promotions.sql) are managed too.
WITH ext_members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), promotion_functions AS (
    SELECT objoid AS oid FROM pg_description
    WHERE classoid = 'pg_proc'::regclass AND objsubid = 0 AND description LIKE 'pgevolve promotion {%%'
)
SELECT kind, name, detail FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                          WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
                          WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'composite type'
                          ELSE 'table' END AS kind,
           c.relname::text AS name,  -- text: a name-typed first branch would cut every row to 63 bytes
           CASE WHEN c.relispartition THEN 'partition of ' || (SELECT p.inhparent::regclass::text FROM pg_inherits p
                                                             WHERE p.inhrelid = c.oid LIMIT 1)
                WHEN c.relkind = 'r' THEN 'inherits from ' || (SELECT string_agg(p.inhparent::regclass::text, ', ')
                                                                FROM pg_inherits p WHERE p.inhrelid = c.oid)
           END AS detail
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s
      AND (c.relkind IN ('v', 'm', 'p', 'f', 'c')
           OR (c.relkind = 'r' AND (c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)))
           OR (c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                                AND d.objid = c.oid AND d.deptype IN ('a', 'i'))))
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = %(schema)s
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
      AND p.oid NOT IN (SELECT oid FROM promotion_functions)
    UNION ALL
    SELECT 'trigger', t.tgname, 'on ' || c.relname
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND NOT t.tgisinternal AND t.tgfoid NOT IN (SELECT oid FROM promotion_functions)
    UNION ALL
    SELECT 'policy', pol.polname, 'on ' || c.relname
    FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s
    UNION ALL
    SELECT 'row level security', c.relname, 'enabled'
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relrowsecurity
    UNION ALL
    SELECT 'rule', r.rulename, 'on ' || c.relname
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND r.rulename <> '_RETURN'
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'range type' END,
           t.typname, NULL
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = %(schema)s AND t.typtype IN ('d', 'r')
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
    UNION ALL
    -- A column may use a collation of the owned schema (Column.collation names it),
    -- but the collation itself is not declared by the format.
    SELECT 'collation', co.collname, NULL
    FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
    WHERE n.nspname = %(schema)s
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_collation'::regclass AND e.objid = co.oid)
    UNION ALL
    SELECT 'statistics', st.stxname, 'on ' || c.relname
    FROM pg_statistic_ext st JOIN pg_class c ON c.oid = st.stxrelid JOIN pg_namespace n ON n.oid = st.stxnamespace
    WHERE n.nspname = %(schema)s
    UNION ALL
    SELECT 'exclusion constraint', con.conname, 'on ' || c.relname
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND con.contype = 'x'
) objects
ORDER BY kind, name
