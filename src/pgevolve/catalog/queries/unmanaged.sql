-- What the format does not cover, in the owned schema: reported, never planned.
-- Extension members (deptype 'e') and sequences owned by a column (serial,
-- identity: deptype 'a'/'i') belong to something pgevolve already manages.
-- pgevolve's own promotion and online type change sync triggers and their functions (commented
-- 'pgevolve promotion {...}' or 'pgevolve retype {...}', see promotions.sql, shadows.sql) are managed too.
-- depends_on: the owned tables' columns ([table, column]; [table, null]: the table as a whole) that the
-- object depends on through a normal pg_depend entry (a view's or rule's pg_rewrite row, a trigger's
-- WHEN or UPDATE OF, a policy's expressions, a function's SQL body). PostgreSQL refuses to drop or
-- retype such a column without CASCADE, so the planner reports these objects as blockers.
-- Views and functions of other schemas that depend on an owned table are listed too.
-- setup: a statement that creates the object again (standalone sequences, functions), run in the
-- scratch database that normalizes the desired schema, so that a default like
-- nextval('invoice_seq') or a CHECK calling an unmanaged function builds there too.
WITH ext_members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), promotion_functions AS (
    SELECT objoid AS oid FROM pg_description
    WHERE classoid = 'pg_proc'::regclass AND objsubid = 0
      AND (description LIKE 'pgevolve promotion {%%' OR description LIKE 'pgevolve retype {%%')
), column_deps AS (
    SELECT d.classid, d.objid,
           jsonb_agg(DISTINCT jsonb_build_array(t.relname::text, a.attname::text)) AS depends_on
    FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')
    JOIN pg_namespace tn ON tn.oid = t.relnamespace AND tn.nspname = %(schema)s
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
    WHERE d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
      AND d.classid IN ('pg_rewrite'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_proc'::regclass)
    GROUP BY d.classid, d.objid
), undeclarable_tables AS (
    -- plain tables with a column the format cannot declare: not managed (tables.sql); why: the first one
    SELECT c.oid, first.why
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = %(schema)s
    CROSS JOIN LATERAL (SELECT u.why FROM (SELECT c.oid) rel CROSS JOIN LATERAL /*include undeclarable_columns*/ u
                        ORDER BY u.attnum LIMIT 1) first
    WHERE c.relkind = 'r'
), view_deps AS (
    SELECT r.ev_class AS oid, cd.depends_on
    FROM pg_rewrite r JOIN column_deps cd ON cd.classid = 'pg_rewrite'::regclass AND cd.objid = r.oid
    WHERE r.rulename = '_RETURN'
)
SELECT kind, name, detail, depends_on, setup FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                          WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
                          WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'composite type'
                          ELSE 'table' END AS kind,
           c.relname::text AS name,  -- text: a name-typed first branch would cut every row to 63 bytes
           CASE WHEN c.relispartition THEN 'partition of ' || (SELECT p.inhparent::regclass::text FROM pg_inherits p
                                                             WHERE p.inhrelid = c.oid LIMIT 1)
                WHEN undeclarable.why IS NOT NULL THEN undeclarable.why
                WHEN c.relkind = 'r' THEN 'inherits from ' || (SELECT string_agg(p.inhparent::regclass::text, ', ')
                                                                FROM pg_inherits p WHERE p.inhrelid = c.oid)
           END AS detail,
           (SELECT v.depends_on FROM view_deps v WHERE v.oid = c.oid) AS depends_on,
           CASE WHEN c.relkind = 'S' THEN 'CREATE SEQUENCE ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                || ' AS ' || (SELECT format_type(s.seqtypid, NULL) FROM pg_sequence s WHERE s.seqrelid = c.oid)
           END AS setup
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN undeclarable_tables undeclarable ON undeclarable.oid = c.oid
    WHERE n.nspname = %(schema)s
      AND (c.relkind IN ('v', 'm', 'p', 'f', 'c')
           OR (c.relkind = 'r' AND (c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
                                    OR undeclarable.why IS NOT NULL))
           OR (c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                                AND d.objid = c.oid AND d.deptype IN ('a', 'i'))))
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
           (SELECT cd.depends_on FROM column_deps cd WHERE cd.classid = 'pg_proc'::regclass AND cd.objid = p.oid),
           CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = %(schema)s
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
      AND p.oid NOT IN (SELECT oid FROM promotion_functions)
      -- a range type's constructors: part of the type (created and dropped with it), not objects of their own
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'i')
    UNION ALL
    SELECT 'trigger', t.tgname, 'on ' || c.relname,
           (SELECT cd.depends_on FROM column_deps cd WHERE cd.classid = 'pg_trigger'::regclass AND cd.objid = t.oid),
           NULL
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND NOT t.tgisinternal AND t.tgfoid NOT IN (SELECT oid FROM promotion_functions)
    UNION ALL
    SELECT 'policy', pol.polname, 'on ' || c.relname,
           (SELECT cd.depends_on FROM column_deps cd WHERE cd.classid = 'pg_policy'::regclass AND cd.objid = pol.oid),
           NULL
    FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s
    UNION ALL
    SELECT 'row level security', c.relname, 'enabled', NULL, NULL
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relrowsecurity
    UNION ALL
    SELECT 'rule', r.rulename, 'on ' || c.relname,
           (SELECT cd.depends_on FROM column_deps cd WHERE cd.classid = 'pg_rewrite'::regclass AND cd.objid = r.oid),
           NULL
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND r.rulename <> '_RETURN'
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'range type' END,
           t.typname, NULL, NULL, NULL
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = %(schema)s AND t.typtype IN ('d', 'r')
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
    UNION ALL
    SELECT 'enum type', t.typname, /*include enum_unmanaged_reason*/, NULL, NULL
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = %(schema)s AND t.typtype = 'e' AND /*include enum_unmanaged_reason*/ IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
    UNION ALL
    -- A column may use a collation of the owned schema (Column.collation names it),
    -- but the collation itself is not declared by the format.
    SELECT 'collation', co.collname, NULL, NULL, NULL
    FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
    WHERE n.nspname = %(schema)s
      AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_collation'::regclass AND e.objid = co.oid)
    UNION ALL
    SELECT 'statistics', st.stxname, 'on ' || c.relname, NULL, NULL
    FROM pg_statistic_ext st JOIN pg_class c ON c.oid = st.stxrelid JOIN pg_namespace n ON n.oid = st.stxnamespace
    WHERE n.nspname = %(schema)s
    UNION ALL
    -- Foreign keys of managed tables to a table that is not a plain one (a partitioned table, a partition,
    -- an inheritance child, an extension's: in any schema), or MATCH FULL: introspect.py leaves them out of
    -- the model (constraints.sql's ref_plain; kept in step). A plain table of the owned schema that is not
    -- managed (undeclarable_columns.sql) is referenced only by what is not managed
    -- either, or by a foreign key listed here.
    SELECT 'foreign key', con.conname, 'on ' || c.relname || ' references ' || con.confrelid::regclass::text
           || CASE WHEN con.confmatchtype = 'f' THEN ' MATCH FULL' ELSE '' END
           || CASE WHEN set_columns.names IS NOT NULL
                   THEN ' ON DELETE SET ' || CASE con.confdeltype WHEN 'n' THEN 'NULL' ELSE 'DEFAULT' END
                        || ' (' || set_columns.names || ')' ELSE '' END,
           NULL, NULL
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class ref ON ref.oid = con.confrelid JOIN pg_namespace refns ON refns.oid = ref.relnamespace
    -- constraints.sql's partial_set: ON DELETE SET NULL / SET DEFAULT of some columns (PostgreSQL 15+)
    CROSS JOIN LATERAL (
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS names
        FROM jsonb_array_elements_text(CASE WHEN con.confdeltype IN ('n', 'd')
                                            AND jsonb_typeof(to_jsonb(con) -> 'confdelsetcols') = 'array'
                                            THEN to_jsonb(con) -> 'confdelsetcols' END) WITH ORDINALITY k(num, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num::int2
    ) set_columns
    WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND NOT c.relispartition AND con.contype = 'f'
      AND con.conparentid = 0
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
      AND c.oid NOT IN (SELECT oid FROM undeclarable_tables)
      AND (ref.relkind <> 'r' OR ref.relispartition OR con.confmatchtype <> 's' OR set_columns.names IS NOT NULL
           OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = ref.oid)
           OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = ref.oid
                      AND d.deptype = 'e')
           OR ref.oid IN (SELECT oid FROM undeclarable_tables)
           OR (refns.nspname <> %(schema)s
               AND EXISTS (SELECT 1 FROM (SELECT ref.oid) rel CROSS JOIN LATERAL /*include undeclarable_columns*/ u)))
    UNION ALL
    -- constraint_unmanaged_reason.sql (PostgreSQL 18): NOT ENFORCED, WITHOUT OVERLAPS, PERIOD
    SELECT CASE con.contype WHEN 'f' THEN 'foreign key' WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique constraint'
                            ELSE 'check constraint' END, con.conname, 'on ' || c.relname || ': ' || why.reason,
           NULL, NULL
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (SELECT /*include constraint_unmanaged_reason*/ AS reason) why
    WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND NOT c.relispartition
      AND con.contype IN ('c', 'f', 'p', 'u') AND con.conparentid = 0 AND why.reason IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
      AND c.oid NOT IN (SELECT oid FROM undeclarable_tables)
    UNION ALL
    SELECT 'exclusion constraint', con.conname, 'on ' || c.relname, NULL, NULL
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND con.contype = 'x'
    UNION ALL
    -- Outside the owned schema, only what stands in the way of a planned change.
    SELECT CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
           n.nspname || '.' || c.relname, 'in schema ' || n.nspname, v.depends_on, NULL
    FROM view_deps v JOIN pg_class c ON c.oid = v.oid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname <> %(schema)s
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
           n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           'in schema ' || n.nspname, cd.depends_on, NULL
    FROM column_deps cd JOIN pg_proc p ON cd.classid = 'pg_proc'::regclass AND p.oid = cd.objid
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname <> %(schema)s
) objects
ORDER BY kind, name
