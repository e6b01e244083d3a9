-- pgevolve's online type changes in progress (see plan/online_steps.py): the sync trigger's function
-- is commented "pgevolve retype {json}" with the column, its shadow column, the shadow's type, the
-- conversion and whether existing rows are backfilled. The old column of a finished one is found by
-- its column comment "pgevolve retired {...}" (columns.sql).
SELECT c.relname AS table_name, substr(d.description, length('pgevolve retype ') + 1)::jsonb AS retype,
       p.proname AS function_name
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_description d ON d.objoid = t.tgfoid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = %(schema)s AND NOT t.tgisinternal AND d.description LIKE 'pgevolve retype {%%'
ORDER BY 1, 2::text
