-- Why the format cannot express an index (NULL: it can), over pg_index i, its pg_class ic and pg_am am.
-- Included by indexes.sql (whose rows say it: introspect.py leaves such indexes out of the model and
-- reports them as unmanaged) and hand_properties.sql (a replica identity on one): one text, so both agree.
CASE
        WHEN am.amname NOT IN ('btree', 'hash', 'gist', 'spgist', 'gin', 'brin') THEN 'access method ' || am.amname
        WHEN ic.reloptions IS NOT NULL THEN 'storage parameters ' || array_to_string(ic.reloptions, ', ')
        WHEN (SELECT bool_or(ia.attoptions IS NOT NULL) FROM pg_attribute ia WHERE ia.attrelid = i.indexrelid)
            THEN 'operator class parameters'
        -- A key collation other than its column's (an expression key: the expression's); the index's own
        -- attributes carry the key collations.
        WHEN EXISTS (
            SELECT 1 FROM pg_attribute ia
            WHERE ia.attrelid = i.indexrelid AND ia.attnum <= i.indnkeyatts AND ia.attcollation <> 0
              AND CASE WHEN i.indkey[ia.attnum - 1] = 0
                  -- An expression key: the definition says COLLATE after the key exactly when its
                  -- collation is not the expression's own (lower(email) on a "C" column is "C" unsaid).
                  THEN strpos(pg_get_indexdef(i.indexrelid, 0, true),
                              pg_get_indexdef(i.indexrelid, ia.attnum, true) || ' COLLATE ') > 0
                  ELSE ia.attcollation <> (SELECT ta.attcollation FROM pg_attribute ta
                        WHERE ta.attrelid = i.indrelid AND ta.attnum = i.indkey[ia.attnum - 1]) END)
            THEN 'a collation of its own on a key'
END
