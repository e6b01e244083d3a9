"""The hands-off rule as a property (issue 11): a plan against the database it was imported from is empty.

Random catalogs, written as SQL the way applications and DBAs write them, mix what the format expresses
(key options, DESC/NULLS/opclass keys, mixed column and expression keys, INCLUDE, NULLS NOT DISTINCT,
DEFERRABLE keys, NOT VALID and NO INHERIT constraints, storage parameters, REPLICA IDENTITY, tables
without columns) with what it does not (views, functions, triggers, policies, partitions, indexes with
storage parameters or a collation of their own, foreign keys to a partitioned table or MATCH FULL, an
unmanaged storage parameter, UNLOGGED, column settings), and what import writes to prerequisites.sql or
names as external (issue 11 part B: an extension in another schema and its type, a standalone sequence a
default draws from, a domain, a function a generated column calls, a foreign key to a table of another
schema). For each: import; the YAML validates; the plan against the same database is empty; and a database
built from the YAML (with the external table in place) has the same managed catalog and prerequisites.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conftest import DatabaseFactory
from oracles import same_catalog
from pgevolve import model as m
from pgevolve.apply.run import execute_plan
from pgevolve.catalog.prerequisites import read_prerequisites
from pgevolve.importer import render_project, write_project
from pgevolve.pipeline import plan_against, read_database
from pgevolve.plan.render import render_text
from pgevolve.server.connect import Target
from pgevolve.source import load_project

EXAMPLES = int(os.environ.get("PGEVOLVE_HANDS_OFF_EXAMPLES", "12"))  # bounded in CI; raise it locally
COLUMNS = {"a": "text", "b": "integer", "c": "timestamptz", "d": "jsonb"}


@st.composite
def table_sql(draw: st.DrawFn, name: str, referable: list[str]) -> tuple[list[str], bool]:
    """CREATE TABLE and the statements after it; whether the table has a plain primary key on id."""
    columns = ["id integer NOT NULL", *(f"{c} {t}" for c, t in COLUMNS.items() if draw(st.booleans()))]
    present = [c.split()[0] for c in columns]
    texts = [c for c in present if c == "a"]
    parts = list(columns)
    deferrable = False
    if draw(st.booleans()):
        deferrable = draw(st.booleans())
        include = f" INCLUDE ({texts[0]})" if texts and draw(st.booleans()) else ""
        parts.append(f"CONSTRAINT {name}_pkey PRIMARY KEY (id){include}" + (" DEFERRABLE" if deferrable else ""))
    if texts and draw(st.booleans()):
        nulls = " NULLS NOT DISTINCT" if draw(st.booleans()) else ""
        include = " INCLUDE (id)" if draw(st.booleans()) else ""
        timing = draw(st.sampled_from(["", " DEFERRABLE", " DEFERRABLE INITIALLY DEFERRED"]))
        parts.append(f"UNIQUE{nulls} (a){include}{timing}")
    if "b" in present and draw(st.booleans()):
        parts.append(f"CHECK (b > {draw(st.integers(-3, 3))})" + (" NO INHERIT" if draw(st.booleans()) else ""))
    storage = draw(st.lists(st.sampled_from(["fillfactor = 70", "autovacuum_enabled = off",
                                             "autovacuum_vacuum_scale_factor = 0.0050", "toast.autovacuum_enabled = "
                                             "false", "vacuum_index_cleanup = AUTO", "user_catalog_table = true"]),
                            max_size=3, unique=True))
    with_ = f" WITH ({', '.join(storage)})" if storage else ""
    statements = [f"CREATE TABLE {name} ({', '.join(parts)}){with_}",
                  f"INSERT INTO {name} (id) VALUES (1)"]
    if "b" in present and draw(st.booleans()):
        statements.append(f"ALTER TABLE {name} ADD CHECK (b <> 0) NOT VALID")
    if referable and "b" in present and draw(st.booleans()):
        target = draw(st.sampled_from(referable))
        tail = draw(st.sampled_from(["", " NOT VALID", " DEFERRABLE", " ON DELETE SET NULL"]))
        statements.append(f"ALTER TABLE {name} ADD FOREIGN KEY (b) REFERENCES {target} (id){tail}")
    statements += draw(index_sql(name, present))
    identity = draw(st.sampled_from(["", "FULL", "NOTHING", "INDEX"]))
    if identity == "INDEX":
        statements += [f"CREATE UNIQUE INDEX {name}_ri ON {name} (id)", f"ALTER TABLE {name} REPLICA IDENTITY "
                       f"USING INDEX {name}_ri"]
    elif identity:
        statements.append(f"ALTER TABLE {name} REPLICA IDENTITY {identity}")
    return statements, any(p.startswith(f"CONSTRAINT {name}_pkey") for p in parts) and not deferrable


@st.composite
def index_sql(draw: st.DrawFn, table: str, present: list[str]) -> list[str]:
    statements = []
    for i in range(draw(st.integers(0, 3))):
        key_sources = [*present, *(["lower(a)", "upper(a)"] if "a" in present else [])]
        sources = [s for s in key_sources if s != "d"]
        if draw(st.booleans()) and "d" in present:
            opclass = draw(st.sampled_from(["", " jsonb_path_ops"]))
            statements.append(f"CREATE INDEX {table}_gin{i} ON {table} USING gin (d{opclass})")
            continue
        keys = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3))
        rendered = []
        for key in keys:
            text = f"({key})" if "(" in key else key
            if key == "a" and draw(st.booleans()):
                text += " text_pattern_ops"
            text += draw(st.sampled_from(["", " DESC", " NULLS FIRST", " DESC NULLS LAST"]))
            rendered.append(text)
        unique = "UNIQUE " if draw(st.booleans()) else ""
        include = [c for c in ("id", "b") if c in present and c not in keys and draw(st.booleans())]
        tail = f" INCLUDE ({', '.join(include)})" if include else ""
        tail += " NULLS NOT DISTINCT" if unique and draw(st.booleans()) else ""
        tail += " WHERE id > 0" if draw(st.booleans()) else ""
        name = draw(st.sampled_from([f"{table}_ix{i}", ""]))
        statements.append(f"CREATE {unique}INDEX {name} ON {table} ({', '.join(rendered)}){tail}")
    return statements


@st.composite
def unmanaged_sql(draw: st.DrawFn, tables: list[str], with_text: list[str]) -> list[str]:
    """Objects the format does not express, around the managed ones."""
    kinds = draw(st.lists(st.sampled_from(["view", "function", "trigger", "policy", "partition", "index options",
                                           "index collation", "fk to partition", "match full", "unlogged",
                                           "column settings"]), max_size=5, unique=True))
    first = tables[0]
    statements = []
    if "view" in kinds:
        statements.append(f"CREATE VIEW v_{first} AS SELECT id FROM {first}")
    if "function" in kinds or "trigger" in kinds:
        statements.append("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    if "trigger" in kinds:
        statements.append(f"CREATE TRIGGER touch BEFORE UPDATE ON {first} FOR EACH ROW EXECUTE FUNCTION touch()")
    if "policy" in kinds:
        statements += [f"ALTER TABLE {first} ENABLE ROW LEVEL SECURITY",
                       f"CREATE POLICY p_{first} ON {first} USING (id > 0)"]
    if "partition" in kinds or "fk to partition" in kinds:
        statements += ["CREATE TABLE part (id integer PRIMARY KEY) PARTITION BY RANGE (id)",
                       "CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (1000)",
                       "INSERT INTO part SELECT g FROM generate_series(1, 3) g"]
    if "fk to partition" in kinds:
        statements.append(f"ALTER TABLE {first} ADD CONSTRAINT {first}_part_fkey FOREIGN KEY (id) REFERENCES part")
    if "index options" in kinds:
        statements += [f"CREATE UNIQUE INDEX {first}_ff ON {first} (id) WITH (fillfactor = 80)",
                       f"ALTER TABLE {first} REPLICA IDENTITY USING INDEX {first}_ff"]
    if "match full" in kinds or "unlogged" in kinds:
        unlogged = "UNLOGGED " if "unlogged" in kinds else ""
        statements += ["CREATE TABLE keyed (a integer, b integer, UNIQUE (a, b))",
                       f"CREATE {unlogged}TABLE leaf (a integer, b integer)"]
    if "match full" in kinds:
        statements.append("ALTER TABLE leaf ADD FOREIGN KEY (a, b) REFERENCES keyed (a, b) MATCH FULL")
    if "column settings" in kinds:
        statements.append(f"ALTER TABLE {first} ALTER COLUMN id SET STATISTICS 300")
    if "index collation" in kinds and with_text:
        statements.append(f'CREATE INDEX {with_text[0]}_c ON {with_text[0]} (a COLLATE "C")')
    return statements


EXTERNAL = ["CREATE SCHEMA auth", "CREATE TABLE auth.users (id integer PRIMARY KEY)"]


@st.composite
def prerequisite_sql(draw: st.DrawFn) -> list[str]:
    """A table that needs what the YAML format does not manage: import writes it to prerequisites.sql (or, for
    the table of another schema, names the schema external)."""
    kinds = draw(st.lists(st.sampled_from(["extension schema", "sequence", "domain", "function", "external fk"]),
                          min_size=1, max_size=5, unique=True))
    before: list[str] = []
    columns = ["id integer PRIMARY KEY"]
    after: list[str] = []
    if "sequence" in kinds:
        before.append("CREATE SEQUENCE item_seq AS bigint START 1000 INCREMENT 5")
        columns[0] = "id bigint DEFAULT nextval('item_seq') PRIMARY KEY"
    if "extension schema" in kinds:
        before += ["CREATE SCHEMA ext", "CREATE EXTENSION citext WITH SCHEMA ext"]
        columns.append("email ext.citext DEFAULT 'x'::ext.citext")
        after.append("CREATE INDEX extra_email_idx ON extra (email)")
    if "domain" in kinds:
        before.append("CREATE DOMAIN posint AS integer CONSTRAINT posint_check CHECK (VALUE > 0)")
        columns.append("qty posint")
    if "function" in kinds:
        before.append("CREATE FUNCTION dbl(integer) RETURNS integer IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2'")
        columns += ["n integer", "n2 integer GENERATED ALWAYS AS (dbl(n)) STORED"]
        after.append("CREATE INDEX extra_dbl_idx ON extra (dbl(n))")
    if "external fk" in kinds:
        before += EXTERNAL
        columns.append("user_id integer REFERENCES auth.users (id)")
    return [*before, f"CREATE TABLE extra ({', '.join(columns)})", *after]


@st.composite
def catalog(draw: st.DrawFn) -> list[str]:
    statements: list[str] = []
    referable: list[str] = []
    with_text: list[str] = []
    names = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    for name in names:
        created, keyed = draw(table_sql(name, referable))
        statements += created
        referable += [name] if keyed else []
        with_text += [name] if " a text" in created[0] else []
    if draw(st.booleans()):
        statements.append("CREATE TABLE marker ()")
    if draw(st.booleans()):
        statements += draw(prerequisite_sql())
    return statements + draw(unmanaged_sql(names, with_text))


@pytest.mark.skipif(os.environ.get("PGEVOLVE_QUICK") == "1", reason="PGEVOLVE_QUICK=1 skips the property test")
@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(statements=catalog())
@example(statements=[  # every kind prerequisites.sql and external_schemas hold, at once
    "CREATE TABLE t0 (id integer PRIMARY KEY, b integer)",
    "CREATE SEQUENCE item_seq AS bigint START 1000 INCREMENT 5", "CREATE SCHEMA ext",
    "CREATE EXTENSION citext WITH SCHEMA ext",
    "CREATE DOMAIN posint AS integer CONSTRAINT posint_check CHECK (VALUE > 0)",
    "CREATE FUNCTION dbl(integer) RETURNS integer IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2'", *EXTERNAL,
    "CREATE TABLE extra (id bigint DEFAULT nextval('item_seq') PRIMARY KEY, email ext.citext DEFAULT "
    "'x'::ext.citext, qty posint, n integer, n2 integer GENERATED ALWAYS AS (dbl(n)) STORED, "
    "user_id integer REFERENCES auth.users (id), t0_b integer REFERENCES t0 (id))",
    "CREATE INDEX extra_email_idx ON extra (email)", "CREATE INDEX extra_dbl_idx ON extra (dbl(n))",
])
@pytest.mark.long
def test_a_plan_against_the_imported_database_is_empty(databases: DatabaseFactory,
                                                       tmp_path_factory: pytest.TempPathFactory,
                                                       statements: list[str]) -> None:
    root = tmp_path_factory.mktemp("handsoff")
    os.environ["PGEVOLVE_CACHE_DIR"] = str(root / "cache")
    source = databases.create(";\n".join(statements))
    actual, _ = read_database(source, "public")
    with psycopg.connect(source) as conn:
        actual = replace(actual, prerequisites=read_prerequisites(conn, "public"))
    schema = root / "schema"
    write_project(render_project(actual).files, schema)
    load_project(schema)  # import never writes YAML its own validator refuses (SpecError otherwise)
    planned = plan_against(schema, Target(source, "test"))
    assert planned.plan.is_empty, "\n".join(statements) + "\n\n" + render_text(planned.plan, color=False)
    # An external schema's table exists wherever the project is applied: its owner made it.
    rebuilt = databases.create(";\n".join(EXTERNAL) if EXTERNAL[0] in statements else None)
    execute_plan(rebuilt, plan_against(schema, Target(rebuilt, "test")).plan)
    assert same_catalog(read_database(rebuilt, "public")[0], replace(actual, prerequisites=())), "\n".join(statements)
    # Nothing managed is lost silently: PostgreSQL's own text of every managed index and constraint.
    assert definitions(rebuilt, actual) == definitions(source, actual), "\n".join(statements)
    assert prerequisites(rebuilt) == prerequisites(source), "\n".join(statements)
    assert plan_against(schema, Target(rebuilt, "test")).plan.is_empty, "\n".join(statements)


def prerequisites(dsn: str) -> dict[str, str]:
    """What import wrote to prerequisites.sql, as the server describes it (a sequence's type, start and step)."""
    with psycopg.connect(dsn) as conn:
        return {p.name: p.sql for p in read_prerequisites(conn, "public")}


def definitions(dsn: str, managed: m.Database) -> dict[tuple[str, str], str]:
    """pg_get_indexdef / pg_get_constraintdef of the objects in the model, by (table, name)."""
    names = {(t.name, o.name) for t in managed.tables
             for o in (*([t.primary_key] if t.primary_key else []), *t.uniques, *t.checks, *t.foreign_keys,
                       *t.indexes)}
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("""
            SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.relnamespace = 'public'::regnamespace
            UNION ALL
            SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE c.relnamespace = 'public'::regnamespace""").fetchall()
    return {(table, name): text for table, name, text in rows if (table, name) in names}


@pytest.mark.long
def test_the_generator_reaches_every_kind(tmp_path: Path) -> None:
    """The strategy can produce each object kind the property is about (a guard against a dead branch)."""
    seen: set[str] = set()
    wanted = {"DESC", "NULLS FIRST", "text_pattern_ops", "lower(a)", "INCLUDE", "NULLS NOT DISTINCT", "DEFERRABLE",
              "NOT VALID", "NO INHERIT", "fillfactor", "REPLICA IDENTITY", "CREATE TABLE marker ()", "CREATE VIEW",
              "CREATE TRIGGER", "CREATE POLICY", "PARTITION OF", "COLLATE", "jsonb_path_ops", "user_catalog_table",
              "MATCH FULL", "UNLOGGED", "STATISTICS"}

    @settings(max_examples=400, deadline=None, database=None)
    @given(statements=catalog())
    def collect(statements: list[str]) -> None:
        text = "\n".join(statements)
        seen.update(w for w in wanted if w in text)

    collect()
    assert seen == wanted
