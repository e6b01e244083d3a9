-- Installed extensions (database-wide); plpgsql is always there and never managed.
SELECT e.extname AS name, n.nspname AS schema
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname
