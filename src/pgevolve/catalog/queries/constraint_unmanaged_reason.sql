-- Why the format cannot express a constraint (NULL: it can, as far as this says), over pg_constraint con;
-- PostgreSQL 18's columns are read through to_jsonb, only on the rows that can have them, so that older
-- servers read NULL. NOT ENFORCED (such a constraint is also not validated): never checked, which no
-- constraint of the format is. WITHOUT OVERLAPS / PERIOD: a temporal key, on a GiST index (a foreign key's
-- conindid is the referenced key's); read as a plain one it would be built as a btree key. Included by
-- constraints.sql (whose rows say it: introspect.py leaves such constraints out of the model) and
-- unmanaged.sql (which lists them): one text, so both agree.
CASE
    WHEN NOT con.convalidated AND to_jsonb(con) ->> 'conenforced' = 'false' THEN 'NOT ENFORCED'
    WHEN con.contype IN ('p', 'u', 'f')
         AND EXISTS (SELECT 1 FROM pg_class ic JOIN pg_am am ON am.oid = ic.relam
                     WHERE ic.oid = con.conindid AND am.amname = 'gist')
         AND to_jsonb(con) ->> 'conperiod' = 'true'
        THEN CASE con.contype WHEN 'f' THEN 'PERIOD' ELSE 'WITHOUT OVERLAPS' END
END
