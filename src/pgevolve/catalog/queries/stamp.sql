-- A stamp of the database's definitions: equal stamps, no definition changed in between.
-- Every catalog row that DDL writes (CREATE, ALTER, DROP, COMMENT, GRANT) is a new row version with the
-- writing transaction's id as xmin, and a dropped row leaves the set: the multiset of xmins of a catalog
-- changes whenever a transaction that changed it commits. The catalogs are those whose rows the catalog
-- queries read, or whose names and spellings pg_get_expr, pg_get_indexdef and format_type print (a type,
-- function or operator of another schema renamed changes how a default is spelled).
-- The few flags PostgreSQL changes in place, keeping xmin, are taken by value: an index's validity
-- (a concurrent build that finished or failed). Temporary objects of other sessions (which no permanent
-- object can depend on) are left out, so that an application's temporary tables do not change the stamp.
-- Row counts and statistics are not definitions: never part of it (ANALYZE and VACUUM keep the stamp).
-- A stamp is only compared with one read in the same snapshot as a catalog found in sync with the YAML
-- (pipeline.plan_against): a different stamp costs a full read; an equal one means the same definitions.
WITH temporary AS (
    SELECT oid FROM pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_[0-9]+$'
), temporary_relations AS (
    SELECT oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM temporary)
), temporary_objects(classid, objid) AS (
    SELECT 'pg_class'::regclass, oid FROM temporary_relations
    UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM temporary)
    UNION ALL SELECT 'pg_constraint'::regclass, oid FROM pg_constraint WHERE connamespace IN (SELECT oid FROM temporary)
    UNION ALL SELECT 'pg_attrdef'::regclass, oid FROM pg_attrdef WHERE adrelid IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'pg_trigger'::regclass, oid FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'pg_rewrite'::regclass, oid FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM temporary_relations)
), parts(part) AS (
    SELECT 'class ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_class
    WHERE oid NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL
    SELECT 'attribute ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_attribute
    WHERE attrelid NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL
    SELECT 'type ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_type
    WHERE typnamespace NOT IN (SELECT oid FROM temporary)
    UNION ALL
    SELECT 'index ' || md5(array_agg(flags ORDER BY flags)::text)
    FROM (SELECT xmin::text || indisvalid::text || indisready::text || indislive::text AS flags FROM pg_index
          WHERE indrelid NOT IN (SELECT oid FROM temporary_relations)) indexes
    UNION ALL SELECT 'attrdef ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_attrdef
    WHERE adrelid NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'constraint ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_constraint
    WHERE connamespace NOT IN (SELECT oid FROM temporary)
    UNION ALL SELECT 'depend ' || md5(array_agg(d.xmin::text ORDER BY d.xmin::text)::text) FROM pg_depend d
    WHERE NOT EXISTS (SELECT 1 FROM temporary_objects t WHERE t.classid = d.classid AND t.objid = d.objid)
    UNION ALL SELECT 'namespace ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_namespace
    WHERE oid NOT IN (SELECT oid FROM temporary)
    UNION ALL SELECT 'trigger ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_trigger
    WHERE tgrelid NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'rewrite ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_rewrite
    WHERE ev_class NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'sequence ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_sequence
    WHERE seqrelid NOT IN (SELECT oid FROM temporary_relations)
    UNION ALL SELECT 'description ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_description
    UNION ALL SELECT 'enum ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_enum
    UNION ALL SELECT 'extension ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_extension
    UNION ALL SELECT 'proc ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_proc
    UNION ALL SELECT 'operator ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_operator
    UNION ALL SELECT 'opclass ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_opclass
    UNION ALL SELECT 'opfamily ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_opfamily
    UNION ALL SELECT 'am ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_am
    UNION ALL SELECT 'collation ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_collation
    UNION ALL SELECT 'cast ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_cast
    UNION ALL SELECT 'policy ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_policy
    UNION ALL SELECT 'inherits ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_inherits
    UNION ALL SELECT 'partitioned ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_partitioned_table
    UNION ALL SELECT 'statistic_ext ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_statistic_ext
    UNION ALL SELECT 'ts_config ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_ts_config
    UNION ALL SELECT 'ts_dict ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_ts_dict
    UNION ALL SELECT 'language ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_language
    UNION ALL SELECT 'foreign_table ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_foreign_table
    UNION ALL SELECT 'conversion ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_conversion
    UNION ALL SELECT 'range ' || md5(array_agg(xmin::text ORDER BY xmin::text)::text) FROM pg_range
)
SELECT md5(string_agg(part, ' ' ORDER BY part)) || ' ' || current_setting('server_version_num') AS stamp FROM parts
