-- Imported by pgevolve from schema "public": what the tables need that the YAML format does
-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in
-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.
-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).

CREATE SEQUENCE public.change_id_seq1 AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;

CREATE SEQUENCE public.item_id_seq AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1000 CACHE 1;
