-- Why the format cannot declare an enum type (NULL: it can), over pg_type t. Included by enums.sql (which
-- leaves such a type out of the model), unmanaged.sql (which lists it) and prerequisites.sql (which writes
-- it when a table uses it): one text, so the three agree.
CASE WHEN NOT EXISTS (SELECT 1 FROM pg_enum ev WHERE ev.enumtypid = t.oid) THEN 'no values'
     WHEN EXISTS (SELECT 1 FROM pg_enum ev WHERE ev.enumtypid = t.oid AND ev.enumlabel = '') THEN 'an empty value'
END
