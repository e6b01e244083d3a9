-- pgevolve's promotion sync triggers (see plan/promotion_steps.py): the trigger
-- function's comment is "pgevolve promotion {json}" with the column, the source
-- and the key, and whether the backfill of existing rows has finished.
SELECT c.relname AS table_name, substr(d.description, length('pgevolve promotion ') + 1)::jsonb AS promotion,
       t.tgname AS trigger_name, p.proname AS function_name
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_description d ON d.objoid = t.tgfoid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = %(schema)s AND NOT t.tgisinternal AND d.description LIKE 'pgevolve promotion {%%'
ORDER BY 1, 2::text
