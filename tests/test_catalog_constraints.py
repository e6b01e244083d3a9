"""Catalog → model: primary keys, UNIQUE, CHECK and foreign keys, as whole values."""

from __future__ import annotations

import psycopg

from conftest import DatabaseFactory
from pgevolve import model
from pgevolve.catalog import introspect, unmanaged_objects
from pgevolve.model import UnmanagedObject

Column = model.Column
FK = model.ForeignKey


def read(dsn: str, schema: str = "public") -> model.Database:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return introspect(conn, schema)


def test_keys_checks_and_deferrable_uniques(databases: DatabaseFactory) -> None:
    dsn = databases.create("""
        CREATE TABLE t (
            a int, b int, c text,
            PRIMARY KEY (b, a),
            UNIQUE (c),
            CONSTRAINT t_pair UNIQUE (c, b) DEFERRABLE,
            CONSTRAINT t_late UNIQUE (a, c) DEFERRABLE INITIALLY DEFERRED,
            CHECK (a > 0),
            CONSTRAINT c_named CHECK (c IN ('x', 'y') AND length(c) < 5)
        );
        ALTER TABLE t ADD CONSTRAINT t_b_check CHECK (b BETWEEN 1 AND 10) NOT VALID;
    """)
    assert read(dsn).table("t") == model.Table(
        name="t",
        columns=(Column(name="a", type="integer", nullable=False), Column(name="b", type="integer", nullable=False),
                 Column(name="c", type="text")),
        primary_key=model.PrimaryKey(name="t_pkey", columns=("b", "a")),  # key order, not column order
        uniques=(
            model.UniqueConstraint(name="t_c_key", columns=("c",)),
            model.UniqueConstraint(name="t_late", columns=("a", "c"), deferrable=True, initially_deferred=True),
            model.UniqueConstraint(name="t_pair", columns=("c", "b"), deferrable=True),
        ),
        checks=(
            model.CheckConstraint(name="c_named", expression=(
                "((c = ANY (ARRAY['x'::text, 'y'::text])) AND (length(c) < 5))")),
            model.CheckConstraint(name="t_a_check", expression="(a > 0)"),
            model.CheckConstraint(name="t_b_check", expression="((b >= 1) AND (b <= 10))", valid=False),
        ),
    )


def test_foreign_keys_every_action_deferrable_not_valid_and_other_schema(databases: DatabaseFactory) -> None:
    dsn = databases.create("""
        CREATE SCHEMA ref;
        CREATE TABLE ref.country (code text PRIMARY KEY);
        CREATE TABLE p (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));
        CREATE TABLE c (
            r0 int REFERENCES p ON DELETE NO ACTION,
            r1 int REFERENCES p (id) ON DELETE RESTRICT,
            r2 int REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE,
            r3 int REFERENCES p (id) ON DELETE SET NULL ON UPDATE SET NULL,
            r4 int DEFAULT 1 REFERENCES p (id) ON DELETE SET DEFAULT ON UPDATE RESTRICT,
            x int, y int,
            country text,
            CONSTRAINT c_pair FOREIGN KEY (y, x) REFERENCES p (b, a) DEFERRABLE INITIALLY DEFERRED,
            CONSTRAINT c_country FOREIGN KEY (country) REFERENCES ref.country (code) DEFERRABLE
        );
        ALTER TABLE c ADD CONSTRAINT c_late FOREIGN KEY (x) REFERENCES p (id) NOT VALID;
    """)
    db = read(dsn)
    # c_country references a plain table of another schema: modelled with its schema (issue 11, part B).
    assert db.table("c").foreign_keys == (
        FK(name="c_country", columns=("country",), ref_table="country", ref_columns=("code",), ref_schema="ref",
           deferrable=True),
        FK(name="c_late", columns=("x",), ref_table="p", ref_columns=("id",), valid=False),
        FK(name="c_pair", columns=("y", "x"), ref_table="p", ref_columns=("b", "a"), deferrable=True,
           initially_deferred=True),
        FK(name="c_r0_fkey", columns=("r0",), ref_table="p", ref_columns=("id",)),
        FK(name="c_r1_fkey", columns=("r1",), ref_table="p", ref_columns=("id",), on_delete="RESTRICT"),
        FK(name="c_r2_fkey", columns=("r2",), ref_table="p", ref_columns=("id",), on_delete="CASCADE",
           on_update="CASCADE"),
        FK(name="c_r3_fkey", columns=("r3",), ref_table="p", ref_columns=("id",), on_delete="SET NULL",
           on_update="SET NULL"),
        FK(name="c_r4_fkey", columns=("r4",), ref_table="p", ref_columns=("id",), on_delete="SET DEFAULT",
           on_update="RESTRICT"),
    )
    # the referenced table of another schema is not read as a table of the owned one
    assert [t.name for t in db.tables] == ["c", "p"]


def test_foreign_keys_to_unmanaged_tables_are_reported_not_modelled(databases: DatabaseFactory) -> None:
    """A partitioned table is not managed: a foreign key to it is left alone (issue 11: the first plan after
    import dropped them). One to a plain table of another schema is modelled with that schema."""
    dsn = databases.create("""
        CREATE SCHEMA app;
        CREATE TABLE public.users (id int PRIMARY KEY);
        CREATE TABLE app.users (id int PRIMARY KEY);
        CREATE TABLE app.events (id int PRIMARY KEY, kind text) PARTITION BY RANGE (id);
        CREATE TABLE app.events_low PARTITION OF app.events FOR VALUES FROM (0) TO (100);
        CREATE TABLE app.events_high PARTITION OF app.events FOR VALUES FROM (100) TO (200);
        CREATE TABLE app.orders (u int REFERENCES app.users, pu int REFERENCES public.users,
                                 event_id int REFERENCES app.events ON DELETE CASCADE);
    """)
    assert read(dsn, "app").table("orders").foreign_keys == (
        FK(name="orders_pu_fkey", columns=("pu",), ref_table="users", ref_columns=("id",), ref_schema="public"),
        FK(name="orders_u_fkey", columns=("u",), ref_table="users", ref_columns=("id",)),
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        unmanaged = unmanaged_objects(conn, "app")
    # PostgreSQL adds one internal clone of the FK per partition (conparentid): not the schema, not listed.
    assert [(u.name, u.detail) for u in unmanaged if u.kind == "foreign key"] == [
        ("orders_event_id_fkey", "on orders references events"),
    ]


def test_exclusion_constraint_is_reported_not_modelled(databases: DatabaseFactory) -> None:
    dsn = databases.create("""
        CREATE TABLE booking (room int, during tsrange, EXCLUDE USING gist (during WITH &&));
    """)
    with psycopg.connect(dsn, autocommit=True) as conn:
        table = introspect(conn, "public").table("booking")
        unmanaged = unmanaged_objects(conn, "public")
    # neither a constraint nor an index of the model (its index backs the constraint)
    assert table == model.Table(name="booking", columns=(Column(name="room", type="integer"),
                                                         Column(name="during", type="tsrange")))
    assert unmanaged == (UnmanagedObject(kind="exclusion constraint", name="booking_during_excl",
                                         detail="on booking"),)


def test_constraint_backed_indexes_are_not_indexes(databases: DatabaseFactory) -> None:
    dsn = databases.create("""
        CREATE TABLE t (id int, code text);
        CREATE UNIQUE INDEX t_code_idx ON t (code);
        ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_idx;
        CREATE UNIQUE INDEX t_id_idx ON t (id);
        ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx;
        CREATE UNIQUE INDEX t_plain ON t (lower(code));
    """)
    table = read(dsn).table("t")
    assert table.primary_key == model.PrimaryKey(name="t_pkey", columns=("id",))
    assert table.uniques == (model.UniqueConstraint(name="t_code_key", columns=("code",)),)
    assert table.indexes == (model.Index(name="t_plain", unique=True,
                                         keys=(model.IndexKey(expression="lower(code)"),)),)
