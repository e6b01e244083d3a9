"""The catalog reads of issue 11: key options, constraint states, table settings, and what stays unmanaged."""

from __future__ import annotations

import psycopg
import pytest

from conftest import DatabaseFactory
from pgevolve import model as m
from pgevolve.catalog import introspect, unmanaged_objects
from pgevolve.catalog.unmanaged import hand_properties


def read(dsn: str) -> tuple[m.Database, tuple[m.UnmanagedObject, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return introspect(conn, "public"), unmanaged_objects(conn, "public")


def test_options_of_keys_indexes_and_tables_are_read(databases: DatabaseFactory) -> None:
    dsn = databases.create("""
        CREATE SCHEMA ext;
        CREATE EXTENSION pg_trgm WITH SCHEMA ext;
        CREATE TABLE acct (id integer, email text NOT NULL, name text, org integer,
                           CONSTRAINT acct_pkey PRIMARY KEY (id) INCLUDE (name) DEFERRABLE INITIALLY DEFERRED,
                           CONSTRAINT acct_org_email_key UNIQUE NULLS NOT DISTINCT (org, email) INCLUDE (id),
                           CONSTRAINT acct_org_check CHECK (org > 0) NO INHERIT)
            WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.0050, toast.autovacuum_enabled = off,
                  user_catalog_table = true);
        CREATE INDEX acct_mixed ON acct (org DESC NULLS LAST, lower(email), name text_pattern_ops NULLS FIRST);
        CREATE INDEX acct_trgm ON acct USING gin (email ext.gin_trgm_ops);
        CREATE UNIQUE INDEX acct_email ON acct (email) NULLS NOT DISTINCT;
        ALTER TABLE acct REPLICA IDENTITY USING INDEX acct_email;
        ALTER TABLE acct ADD CONSTRAINT acct_self FOREIGN KEY (email) REFERENCES acct (email) NOT VALID;
        CREATE TABLE marker ();
    """)
    db, _ = read(dsn)
    acct = db.table("acct")
    assert acct is not None
    assert acct.primary_key == m.PrimaryKey(name="acct_pkey", columns=("id",), include=("name",), deferrable=True,
                                            initially_deferred=True)
    assert acct.uniques == (m.UniqueConstraint(name="acct_org_email_key", columns=("org", "email"), include=("id",),
                                               nulls_not_distinct=True),)
    assert acct.checks == (m.CheckConstraint(name="acct_org_check", expression="(org > 0)", no_inherit=True),)
    assert [(fk.name, fk.valid) for fk in acct.foreign_keys] == [("acct_self", False)]
    assert acct.indexes == (
        m.Index(name="acct_email", keys=(m.IndexKey(column="email"),), unique=True, nulls_not_distinct=True),
        m.Index(name="acct_mixed", keys=(m.IndexKey(column="org", descending=True, nulls_first=False),
                                         m.IndexKey(expression="lower(email)"),
                                         m.IndexKey(column="name", opclass="text_pattern_ops", nulls_first=True))),
        # An operator class of an extension installed in another schema is named with its schema.
        m.Index(name="acct_trgm", keys=(m.IndexKey(column="email", opclass="ext.gin_trgm_ops"),), method="gin"),
    )
    assert acct.storage == (("autovacuum_vacuum_scale_factor", "0.005"), ("fillfactor", "70"),
                            ("toast.autovacuum_enabled", "false"))
    assert (acct.replica_identity, acct.replica_identity_index) == ("index", "acct_email")
    assert db.table("marker") == m.Table(name="marker", columns=())
    with psycopg.connect(dsn, autocommit=True) as conn:
        properties = {(p.object, p.property): p.live for p in hand_properties(conn, "public")}
    # The managed parameters are the YAML's; only user_catalog_table is a property a fresh build lacks.
    assert properties == {("acct", "storage parameter user_catalog_table"): "true"}


def test_what_the_format_cannot_express_is_unmanaged_not_modelled(databases: DatabaseFactory) -> None:
    """Left out of the model (so no plan drops it) and reported, with why; a foreign key into another schema is
    modelled."""
    dsn = databases.create("""
        CREATE EXTENSION pg_trgm;
        CREATE SCHEMA auth; CREATE TABLE auth.users (id integer PRIMARY KEY);
        CREATE TABLE part (id integer PRIMARY KEY) PARTITION BY RANGE (id);
        CREATE TABLE doc (id integer PRIMARY KEY REFERENCES part, owner integer REFERENCES auth.users, name text);
        CREATE INDEX doc_ff ON doc (name) WITH (fillfactor = 90);
        CREATE INDEX doc_c ON doc (name COLLATE "C");
        CREATE INDEX doc_siglen ON doc USING gist (name gist_trgm_ops (siglen = 32));
        CREATE INDEX doc_plain ON doc (name);
        CREATE UNIQUE INDEX doc_id_ff ON doc (id) WITH (fillfactor = 80);
        ALTER TABLE doc REPLICA IDENTITY USING INDEX doc_id_ff;
        CREATE UNLOGGED TABLE scratch (id integer REFERENCES doc MATCH FULL, body text);
        ALTER TABLE scratch ALTER COLUMN id SET STATISTICS 500, ALTER COLUMN body SET STORAGE EXTERNAL;
        ALTER TABLE doc ALTER COLUMN name SET COMPRESSION pglz;
    """)
    db, unmanaged = read(dsn)
    doc, scratch = db.table("doc"), db.table("scratch")
    assert doc is not None and scratch is not None
    # A plain table of another schema is modelled (issue 11 item 5): referenced as auth.users.
    assert doc.foreign_keys == (m.ForeignKey(name="doc_owner_fkey", columns=("owner",), ref_table="users",
                                             ref_columns=("id",), ref_schema="auth"),)
    assert scratch.foreign_keys == ()
    assert [i.name for i in doc.indexes] == ["doc_plain"]
    assert (doc.replica_identity, doc.replica_identity_index) == ("default", None)  # not modelled: hands off
    found = {(u.kind, u.name): u.detail for u in unmanaged if u.kind in ("index", "foreign key")}
    assert found == {
        ("index", "doc_ff"): "on doc: storage parameters fillfactor=90",
        ("index", "doc_id_ff"): "on doc: storage parameters fillfactor=80",
        ("index", "doc_c"): "on doc: a collation of its own on a key",
        ("index", "doc_siglen"): "on doc: operator class parameters",
        ("foreign key", "doc_id_fkey"): "on doc references part",
        ("foreign key", "scratch_id_fkey"): "on scratch references doc MATCH FULL",
    }
    # Properties a fresh build lacks: drift --strict and import report them (hand_properties.sql).
    with psycopg.connect(dsn, autocommit=True) as conn:
        properties = {(p.object, p.property): p.live for p in hand_properties(conn, "public")}
    assert properties == {
        ("doc", "replica identity"): "USING INDEX doc_id_ff",
        ("scratch", "persistence"): "UNLOGGED",
        ("scratch.id", "statistics target"): "500",
        ("scratch.body", "storage"): "EXTERNAL",
        ("doc.name", "compression"): "pglz",
    }


def test_an_expression_key_takes_its_expressions_collation_without_owning_one(databases: DatabaseFactory) -> None:
    """lower(email) on a column of collation "C" is "C" as PostgreSQL derives it: an ordinary expression index
    (it was read as a collation of its own, so a YAML declaring it never got it built); a COLLATE written
    after the key, or around the whole expression (PostgreSQL makes that the key's), is one of its own."""
    dsn = databases.create("""
        CREATE TABLE coded (id integer PRIMARY KEY, email text COLLATE "C");
        CREATE INDEX coded_lower ON coded (lower(email));
        CREATE INDEX coded_lower_posix ON coded ((lower(email) COLLATE "POSIX"));
        CREATE INDEX coded_key_posix ON coded (lower(email) COLLATE "POSIX");
    """)
    db, unmanaged = read(dsn)
    coded = db.table("coded")
    assert coded is not None
    assert [i.name for i in coded.indexes] == ["coded_lower"]
    assert {(u.kind, u.name): u.detail for u in unmanaged if u.kind == "index"} == {
        ("index", "coded_key_posix"): "on coded: a collation of its own on a key",
        ("index", "coded_lower_posix"): "on coded: a collation of its own on a key"}


def test_prerequisites_are_what_the_managed_tables_need(databases: DatabaseFactory) -> None:
    """Issue 11 item 12: import's prerequisites.sql holds the functions, domains, types of other schemas and
    sequences the managed tables use (through pg_depend, transitively), not a serial's own sequence, nor what
    only a view, a trigger or a partition uses; and each is created only where missing."""
    from pgevolve.catalog.prerequisites import present_prerequisites, read_prerequisites

    dsn = databases.create("""
        CREATE FUNCTION positive(integer) RETURNS boolean IMMUTABLE LANGUAGE sql AS 'SELECT $1 > 0';
        CREATE DOMAIN qty AS integer CONSTRAINT qty_check CHECK (positive(VALUE));
        CREATE SCHEMA other; CREATE TYPE other.kind AS ENUM ('a');
        CREATE SEQUENCE n_seq AS integer START 7;
        CREATE TABLE t (id serial PRIMARY KEY, q qty, k other.kind[], n integer DEFAULT nextval('n_seq'));
        CREATE FUNCTION only_view() RETURNS integer LANGUAGE sql AS 'SELECT 1';
        CREATE VIEW v AS SELECT only_view();
        CREATE SEQUENCE part_seq;
        CREATE TABLE part (id integer DEFAULT nextval('part_seq')) PARTITION BY RANGE (id);
    """)
    with psycopg.connect(dsn) as conn:
        found = read_prerequisites(conn, "public")
        assert [(p.kind, p.name) for p in found] == [
            ("schema", '"other"'), ("sequence", '"public"."n_seq"'), ("type", '"other"."kind"'),
            ("function", '"public"."positive"(integer)'), ("domain", '"public"."qty"')]  # its CHECK calls it
        assert "START WITH 7" in found[1].sql and "AS integer" in found[1].sql
        assert present_prerequisites(conn, "public", found) == found
    empty = databases.create("CREATE SCHEMA other")
    with psycopg.connect(empty) as conn:
        assert present_prerequisites(conn, "public", found) == (found[0],)


@pytest.mark.parametrize(("column", "options"), [
    ("integer GENERATED BY DEFAULT AS IDENTITY", None),
    ("bigint GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 10)", "INCREMENT BY 10 START WITH 10"),
    ("smallint GENERATED ALWAYS AS IDENTITY (INCREMENT BY -1)", "INCREMENT BY -1"),
    ("bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 1000 CACHE 20 CYCLE)", "MAXVALUE 1000 CACHE 20 CYCLE"),
])
def test_identity_options_are_what_a_fresh_build_lacks(db: str, column: str, options: str | None) -> None:
    """The format says identity: always / by default; its sequence's other options are reported, not lost."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE t (id {column} PRIMARY KEY)")
        properties = {(p.object, p.property): p.live for p in hand_properties(conn, "public")}
    assert properties == ({("t.id", "identity options"): options} if options else {})


def test_what_postgresql_18_adds_that_the_format_cannot_say_is_left_alone(db: str) -> None:
    """A virtual generated column (`generated:` is STORED) keeps its table out; a CHECK or foreign key NOT
    ENFORCED is never checked, which no constraint of the format is; a temporal key (WITHOUT OVERLAPS,
    PERIOD) would be built as a plain one; a NOT NULL NOT VALID is reported."""
    with psycopg.connect(db, autocommit=True) as conn:
        version = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
        if version is None or version[0] < 180000:
            pytest.skip("the test server is older than PostgreSQL 18")
        conn.execute("""
            CREATE TABLE p (id int PRIMARY KEY);
            CREATE TABLE v (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
            CREATE TABLE t (id int PRIMARY KEY, a int, p_id int,
                            CONSTRAINT t_a_check CHECK (a > 0) NOT ENFORCED,
                            CONSTRAINT t_p_fkey FOREIGN KEY (p_id) REFERENCES p (id) NOT ENFORCED);
            INSERT INTO t VALUES (1, NULL, 7);
            ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a NOT VALID;
            CREATE EXTENSION btree_gist;
            CREATE TABLE room (id int, during tstzrange, PRIMARY KEY (id, during WITHOUT OVERLAPS));
            CREATE TABLE booking (id int PRIMARY KEY, room_id int, during tstzrange,
                                  FOREIGN KEY (room_id, PERIOD during) REFERENCES room (id, PERIOD during));
        """)
        properties = {(p.object, p.property): p.live for p in hand_properties(conn, "public")}
    db_model, unmanaged = read(db)
    t, room, booking = db_model.table("t"), db_model.table("room"), db_model.table("booking")
    assert [x.name for x in db_model.tables] == ["booking", "p", "room", "t"]
    assert t is not None and room is not None and booking is not None
    assert (t.checks, t.foreign_keys, room.primary_key, booking.foreign_keys) == ((), (), None, ())
    assert {(u.kind, u.name): u.detail for u in unmanaged if u.kind != "extension"} == {
        ("primary key", "room_pkey"): "on room: WITHOUT OVERLAPS",
        ("foreign key", "booking_room_id_during_fkey"): "on booking: PERIOD",
        ("table", "v"): "column b is a virtual generated column",
        ("check constraint", "t_a_check"): "on t: NOT ENFORCED",
        ("foreign key", "t_p_fkey"): "on t: NOT ENFORCED",
    }
    assert properties == {("t.a", "not null"): "NOT VALID"}
