-- ON DELETE SET NULL of some of a foreign key's columns only (PostgreSQL 15+): the format cannot say which,
-- and `on_delete: set null` would null the tenant too (NOT NULL: every delete of a parent would fail).
-- The key is left alone and listed with its column list; the plain SET NULL key beside it is managed.
CREATE TABLE folder (tenant integer, id integer, PRIMARY KEY (tenant, id));
CREATE TABLE document (
    id integer PRIMARY KEY,
    tenant integer NOT NULL,
    folder_id integer,
    origin_id integer,
    CONSTRAINT document_folder_fkey FOREIGN KEY (tenant, folder_id) REFERENCES folder (tenant, id)
        ON DELETE SET NULL (folder_id),
    CONSTRAINT document_origin_fkey FOREIGN KEY (tenant, origin_id) REFERENCES folder (tenant, id) ON DELETE SET NULL
);
INSERT INTO folder VALUES (1, 1), (1, 2);
INSERT INTO document VALUES (1, 1, 1, NULL), (2, 1, 2, NULL);
