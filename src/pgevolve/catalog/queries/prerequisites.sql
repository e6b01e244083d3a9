-- What the owned schema's managed tables need that the format does not manage, for `pgevolve import` to
-- write as schema/prerequisites.sql: functions called by defaults, generated columns, CHECKs and indexes,
-- domains, composite and range types (of any schema but pg_catalog) and enum types (of other schemas) used
-- as column types, sequences that defaults draw from;
-- and, transitively, what those need (a domain's base type and CHECK functions, a function's argument and
-- result types). Found through pg_depend from the tables, their columns' defaults, their constraints and
-- their indexes. Left out: extension members, pg_catalog and information_schema, the owned schema's enums
-- (pgevolve.yaml has them), identity sequences, tables' row types; a serial's own sequence is told by its
-- owner (owner_table, owner_column) and left out by the caller, which knows the default names.
-- create: the statement that creates it, names qualified. Ordered so that a rebuilt database reads back the same:
-- sequences, enum types, domains (on a type or enum), composite and range types (on any of those), functions
-- (on any of them); then by schema and name. kind: 'enum', 'composite' and 'range' are each a CREATE TYPE.
WITH RECURSIVE owned_tables AS (
    -- the managed tables: tables.sql's conditions (partitions, inheritance children, extension tables aside)
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
      AND NOT EXISTS (SELECT 1 FROM (SELECT c.oid) rel CROSS JOIN LATERAL /*include undeclarable_columns*/ u)
), roots AS (
    SELECT 'pg_class'::regclass AS classid, oid AS objid FROM owned_tables
    UNION ALL
    SELECT 'pg_attrdef'::regclass, ad.oid FROM pg_attrdef ad WHERE ad.adrelid IN (SELECT oid FROM owned_tables)
    UNION ALL
    SELECT 'pg_constraint'::regclass, con.oid FROM pg_constraint con WHERE con.conrelid IN (SELECT oid FROM owned_tables)
    UNION ALL
    SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM owned_tables)
), stands_for(oid, for_oid) AS (
    -- a type written through another: an array through its element type, a multirange through its range
    -- (PostgreSQL 14+; to_jsonb: older servers have none). User types only: built-in ones are never written.
    SELECT t.oid, t.typelem FROM pg_type t WHERE t.typcategory = 'A' AND t.typelem <> 0 AND t.oid >= 16384
    UNION ALL
    SELECT (to_jsonb(r) ->> 'rngmultitypid')::oid, r.rngtypid FROM pg_range r WHERE r.rngtypid >= 16384
), reach(classid, objid, refclassid, refobjid, deptype) AS (
    -- every dependency found from the roots: what the tables need, then what that needs in turn (a domain's
    -- CHECK is a pg_constraint of the type; a composite type's attributes depend through its relation,
    -- relkind 'c'; the type an array or multirange stands for, an internal dependency). Built-in
    -- objects (oid below 16384, FirstNormalObjectId) are never written: their dependencies are not followed.
    SELECT r.classid, r.objid, d.refclassid, d.refobjid, d.deptype
    FROM roots r JOIN pg_depend d ON d.classid = r.classid AND d.objid = r.objid
    WHERE d.deptype = 'n' AND d.refclassid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_class'::regclass)
    UNION
    SELECT nd.refclassid, nd.refobjid, d.refclassid, d.refobjid, d.deptype
    FROM reach nd
    CROSS JOIN LATERAL (
        SELECT d.refclassid, d.refobjid, d.deptype FROM pg_depend d
        WHERE d.classid = nd.refclassid AND d.objid = nd.refobjid
        UNION ALL
        SELECT d.refclassid, d.refobjid, d.deptype
        FROM pg_constraint con JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = con.oid
        WHERE nd.refclassid = 'pg_type'::regclass AND con.contypid = nd.refobjid
        UNION ALL
        SELECT d.refclassid, d.refobjid, d.deptype
        FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
        JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
        WHERE nd.refclassid = 'pg_type'::regclass AND t.oid = nd.refobjid
    ) d
    WHERE nd.refobjid >= 16384 AND d.refclassid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_class'::regclass)
      AND (d.deptype = 'n' OR (d.deptype = 'i' AND EXISTS (SELECT FROM stands_for s WHERE s.oid = nd.refobjid
                                                           AND s.for_oid = d.refobjid)))
), extension_members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), objects AS (
    SELECT DISTINCT coalesce(s.for_oid, nd.refobjid) AS objid, nd.refclassid AS classid
    FROM reach nd LEFT JOIN stands_for s ON nd.refclassid = 'pg_type'::regclass AND s.oid = nd.refobjid
), edges AS (
    -- what each object needs directly ('<classid>:<oid>', through stands_for): the caller writes the file so
    -- that each statement comes after those it needs (a composite type over another, a domain whose CHECK
    -- calls a function)
    SELECT e.classid, e.objid, e.refclassid::oid || ':' || coalesce(s.for_oid, e.refobjid) AS ref
    FROM reach e LEFT JOIN stands_for s ON e.refclassid = 'pg_type'::regclass AND s.oid = e.refobjid
    WHERE e.deptype = 'n' AND e.refobjid >= 16384
)
SELECT rank, kind, name, create_sql AS create, schema, owner_table, owner_column,
       found.classid::oid || ':' || found.oid AS key,
       ARRAY(SELECT e.ref FROM edges e WHERE e.classid = found.classid AND e.objid = found.oid) AS needs
FROM (
    SELECT 5 AS rank, 'pg_proc'::regclass AS classid, p.oid, 'function' AS kind, p.proname AS name, n.nspname AS schema, pg_get_functiondef(p.oid) AS create_sql,
           NULL::name AS owner_table, NULL::name AS owner_column
    FROM objects o JOIN pg_proc p ON o.classid = 'pg_proc'::regclass AND p.oid = o.objid
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
    UNION ALL
    SELECT 1, 'pg_class'::regclass, s.oid, 'sequence', s.relname, n.nspname,
           format('CREATE SEQUENCE %%I.%%I AS %%s INCREMENT BY %%s MINVALUE %%s MAXVALUE %%s START WITH %%s CACHE %%s%%s',
                  n.nspname, s.relname, format_type(seq.seqtypid, NULL), seq.seqincrement, seq.seqmin, seq.seqmax,
                  seq.seqstart, seq.seqcache, CASE WHEN seq.seqcycle THEN ' CYCLE' ELSE '' END),
           -- the column that owns it (serial): import leaves out a serial's own sequence
           (SELECT t.relname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a'
              AND t.relnamespace = s.relnamespace),
           (SELECT a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a')
    FROM objects o JOIN pg_class s ON o.classid = 'pg_class'::regclass AND s.oid = o.objid AND s.relkind = 'S'
    JOIN pg_sequence seq ON seq.seqrelid = s.oid
    JOIN pg_namespace n ON n.oid = s.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                      AND d.deptype = 'i')
    UNION ALL
    SELECT 3, 'pg_type'::regclass, t.oid, 'domain', t.typname, n.nspname,
           format('CREATE DOMAIN %%I.%%I AS %%s', n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod))
           || CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                   THEN ' COLLATE ' || (SELECT format('%%I.%%I', cn.nspname, co.collname) FROM pg_collation co
                                        JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation)
                   ELSE '' END
           || CASE WHEN t.typdefault IS NOT NULL THEN ' DEFAULT ' || t.typdefault ELSE '' END
           || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
           || coalesce((SELECT string_agg(format(' CONSTRAINT %%I %%s', con.conname, pg_get_constraintdef(con.oid)),
                                          '' ORDER BY con.conname)
                        FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c'), ''),
           NULL, NULL
    FROM objects o JOIN pg_type t ON o.classid = 'pg_type'::regclass AND t.oid = o.objid AND t.typtype = 'd'
    JOIN pg_type bt ON bt.oid = t.typbasetype
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
    UNION ALL
    -- an enum of the owned schema is pgevolve.yaml's, unless the format cannot declare it
    SELECT 2, 'pg_type'::regclass, t.oid,
           CASE WHEN /*include enum_unmanaged_reason*/ IS NULL THEN 'enum' ELSE 'undeclarable enum' END,
           t.typname, n.nspname,
           format('CREATE TYPE %%I.%%I AS ENUM (%%s)', n.nspname, t.typname,
                  (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = t.oid)),
           NULL, NULL
    FROM objects o JOIN pg_type t ON o.classid = 'pg_type'::regclass AND t.oid = o.objid AND t.typtype = 'e'
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND (n.nspname <> %(schema)s OR /*include enum_unmanaged_reason*/ IS NOT NULL)
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
    UNION ALL
    SELECT 4, 'pg_type'::regclass, t.oid, 'composite', t.typname, n.nspname,
           format('CREATE TYPE %%I.%%I AS (%%s)', n.nspname, t.typname,
                  coalesce((SELECT string_agg(format('%%I %%s', a.attname, format_type(a.atttypid, a.atttypmod))
                                              || CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                                                      THEN ' COLLATE ' || (SELECT format('%%I.%%I', cn.nspname, co.collname)
                                                                           FROM pg_collation co
                                                                           JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                                                           WHERE co.oid = a.attcollation)
                                                      ELSE '' END,
                                              ', ' ORDER BY a.attnum)
                            FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
                            WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '')),
           NULL, NULL
    FROM objects o JOIN pg_type t ON o.classid = 'pg_type'::regclass AND t.oid = o.objid AND t.typtype = 'c'
    JOIN pg_class r ON r.oid = t.typrelid AND r.relkind = 'c'
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
    UNION ALL
    -- CANONICAL is left out: only a C function can be one, after a shell type no single statement makes.
    SELECT 4, 'pg_type'::regclass, t.oid, 'range', t.typname, n.nspname,
           format('CREATE TYPE %%I.%%I AS RANGE (SUBTYPE = %%s', n.nspname, t.typname, format_type(rg.rngsubtype, NULL))
           || CASE WHEN opc.opcdefault THEN ''
                   ELSE (SELECT format(', SUBTYPE_OPCLASS = %%I.%%I', ocn.nspname, opc.opcname)
                         FROM pg_namespace ocn WHERE ocn.oid = opc.opcnamespace) END
           || CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation
                   THEN (SELECT format(', COLLATION = %%I.%%I', cn.nspname, co.collname) FROM pg_collation co
                         JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = rg.rngcollation)
                   ELSE '' END
           || CASE WHEN rg.rngsubdiff::oid <> 0 THEN ', SUBTYPE_DIFF = ' || rg.rngsubdiff::text ELSE '' END
           -- the multirange (PostgreSQL 14+; to_jsonb: older servers have none) when not named by default
           || coalesce((SELECT format(', MULTIRANGE_TYPE_NAME = %%I.%%I', mn.nspname, mt.typname)
                        FROM pg_type mt JOIN pg_namespace mn ON mn.oid = mt.typnamespace
                        WHERE mt.oid = (to_jsonb(rg) ->> 'rngmultitypid')::oid
                          AND (mt.typnamespace <> t.typnamespace
                               OR mt.typname <> CASE WHEN strpos(t.typname, 'range') > 0
                                                     THEN overlay(t.typname placing 'multirange'
                                                                  from strpos(t.typname, 'range') for 5)
                                                     ELSE t.typname || '_multirange' END)), '')
           || ')',
           NULL, NULL
    FROM objects o JOIN pg_type t ON o.classid = 'pg_type'::regclass AND t.oid = o.objid AND t.typtype = 'r'
    JOIN pg_range rg ON rg.rngtypid = t.oid
    JOIN pg_type st ON st.oid = rg.rngsubtype
    JOIN pg_opclass opc ON opc.oid = rg.rngsubopc
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND (o.classid, o.objid) NOT IN (SELECT classid, objid FROM extension_members)
) found
ORDER BY rank, schema, name, create_sql
