-- Enum types of the owned schema, values in their sort order; extension-owned types excluded, and those the
-- format cannot declare (unmanaged.sql lists them).
SELECT t.typname AS name,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS values,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = %(schema)s
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                  AND d.deptype = 'e')
  AND /*include enum_unmanaged_reason*/ IS NULL
GROUP BY t.oid, t.typname
ORDER BY t.typname
