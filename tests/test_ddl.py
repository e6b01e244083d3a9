"""The SQL that sqltext.ddl and the planner build runs on a real PostgreSQL."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from plan_runs import names_in, names_of, psql, query, run_plan, seed
from sample_models import LEAD_STATUS, NEEDS_RICH, RICH, evolved, shuffled

from pgevolve import model
from pgevolve.model import CheckConstraint, Column, ForeignKey, Hints, Index, IndexKey, UniqueConstraint
from pgevolve.plan.planner import make_plan
from pgevolve.sqltext.ddl import schema_sql


@NEEDS_RICH
def test_schema_sql_builds_the_rich_model_with_psql(db: str) -> None:
    script = Path(db.rsplit("/", 1)[-1] + ".sql")
    sql = schema_sql(RICH)
    try:
        script.write_text(sql)
        result = subprocess.run([psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", str(script)],
                                capture_output=True, text=True)
    finally:
        script.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    tables = query(db, "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
                       "ORDER BY 1")
    assert tables == [("leads",), ("teams",), ("users",)]
    indexes = query(db, "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'leads'::regclass ORDER BY 1")
    assert indexes == [("leads_full_name_created_at_key",), ("leads_new_idx",), ("leads_pkey",),
                       ("leads_tags_idx",), ("leads_vin_idx",)]
    assert query(db, "SELECT obj_description('leads'::regclass, 'pg_class')") == [("People who may become clients.",)]


def test_schema_sql_is_deterministic() -> None:
    assert schema_sql(shuffled(RICH)) == schema_sql(RICH)


def test_schema_sql_puts_foreign_keys_after_all_tables() -> None:
    sql = schema_sql(RICH)
    last_table = max(sql.index(f'CREATE TABLE "public"."{t}"') for t in ("leads", "teams", "users"))
    assert sql.index("FOREIGN KEY") > last_table
    assert sql.startswith('CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "public";\n')


def test_schema_sql_in_an_owned_schema(db: str) -> None:
    crm = model.Database(
        schema="crm",
        enums=(LEAD_STATUS,),
        tables=(
            model.Table(name="a", columns=(Column(name="id", type="integer", nullable=False),
                                            Column(name="b_id", type="integer"),
                                            Column(name="state", type="lead_status")),
                        primary_key=model.PrimaryKey(name="a_pkey", columns=("id",)),
                        foreign_keys=(ForeignKey(name="a_b_fk", columns=("b_id",), ref_table="b",
                                                 ref_columns=("id",)),)),
            model.Table(name="b", columns=(Column(name="id", type="serial"),),
                        primary_key=model.PrimaryKey(name="b_pkey", columns=("id",))),
        ),
    )
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(schema_sql(crm))
    assert query(db, "SELECT count(*) FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relkind = 'r'") == [
        (2,)
    ]


@NEEDS_RICH
def test_plan_from_empty_builds_the_rich_model(db: str) -> None:
    plan = make_plan(model.Database(), RICH, Hints())
    assert all(step.transactional for step in plan.steps)  # nothing exists yet: no CONCURRENTLY needed
    run_plan(db, plan)
    constraints = query(db, "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                            "ORDER BY 1")
    assert [c for (c,) in constraints] == sorted(
        [k.name for t in RICH.tables for k in (t.primary_key, *t.uniques, *t.checks, *t.foreign_keys) if k]
    )


@NEEDS_RICH
def test_plan_to_an_evolved_model_runs_on_a_database_with_rows(db: str) -> None:
    run_plan(db, make_plan(model.Database(), RICH))
    seed(db)
    desired, hints = evolved()
    plan = make_plan(RICH, desired, hints)
    run_plan(db, plan)
    assert query(db, "SELECT title FROM squads") == [("north",)]
    assert query(db, "SELECT score, token IS NOT NULL FROM users") == [(0, True)]
    assert query(db, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attname = 'amount'"
                 ) == [(True,)]
    assert query(db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert query(db, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == [(0,)]
    assert query(db, "SELECT enum_range(NULL::lead_status)::text") == [("{new,contacted,qualified,won,lost}",)]
    assert names_in(db) == names_of(desired)


def test_replace_enum_rebuilds_the_type_and_converts_columns(db: str) -> None:
    before = model.Database(
        enums=(LEAD_STATUS,),
        tables=(model.Table(name="t", columns=(
            Column(name="s", type="lead_status", default="'won'::lead_status"),
            Column(name="h", type="lead_status[]"))),),
    )
    run_plan(db, make_plan(model.Database(), before))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO t VALUES ('lost', '{new,lost}')")
    # 'won', the old default, goes away: the column gets the desired default, not the old one.
    columns = (Column(name="s", type="lead_status", default="'new'::lead_status"), before.tables[0].columns[1])
    after = replace(before, enums=(replace(LEAD_STATUS, values=("lost", "new")),),
                    tables=(replace(before.tables[0], columns=columns),))
    run_plan(db, make_plan(before, after))
    assert query(db, "SELECT s::text, h::text FROM t") == [("lost", "{new,lost}")]
    assert query(db, "SELECT enum_range(NULL::lead_status)::text") == [("{lost,new}",)]
    assert query(db, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef") == [("'new'::lead_status",)]
    assert query(db, "SELECT count(*) FROM pg_type WHERE typname LIKE '%pgevolve%'") == [(0,)]


def _relfilenode(dsn: str, table: str) -> int:
    return query(dsn, "SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", table)[0][0]


@pytest.mark.parametrize(
    ("column", "rewrites"),
    [
        (Column(name="c", type="timestamp with time zone", default="now()"), False),
        (Column(name="c", type="integer", nullable=False, default="0"), False),
        (Column(name="c", type="double precision", default="random()"), True),
        (Column(name="c", type="uuid", default="gen_random_uuid()"), True),
        pytest.param(Column(name="c", type="uuid", default="uuid_generate_v4()"), True,
                     marks=pytest.mark.needs_extensions("uuid-ossp")),
    ],
)
def test_add_column_rewrite_hazard_matches_postgresql(db: str, column: Column, rewrites: bool) -> None:
    """The planner's rewrite label agrees with what the server does (relfilenode changes on a rewrite)."""
    uses_uuid_ossp = "uuid_generate" in (column.default or "")
    before = model.Database(extensions=(model.Extension(name="uuid-ossp"),) if uses_uuid_ossp else (),
                            tables=(model.Table(name="t", columns=(Column(name="id", type="integer"),)),))
    run_plan(db, make_plan(model.Database(), before))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO t SELECT generate_series(1, 10)")
    node = _relfilenode(db, "t")
    after = replace(before, tables=(replace(before.tables[0], columns=(*before.tables[0].columns, column)),))
    plan = make_plan(before, after)
    run_plan(db, plan)
    assert (plan.steps[0].hazard.value == "rewrite") is rewrites
    assert (_relfilenode(db, "t") != node) is rewrites


@pytest.mark.parametrize(
    ("old", "new", "rewrites"),
    [
        ("character varying(10)", "character varying(20)", False),
        ("character varying(10)", "text", False),
        ("numeric(10,2)", "numeric(12,2)", False),
        ("integer", "bigint", True),
        ("text", "integer", True),
    ],
)
def test_type_change_rewrite_matches_postgresql(db: str, old: str, new: str, rewrites: bool) -> None:
    before = model.Database(tables=(model.Table(name="t", columns=(Column(name="c", type=old),)),))
    run_plan(db, make_plan(model.Database(), before))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO t VALUES ('12')")
    node = _relfilenode(db, "t")
    after = model.Database(tables=(model.Table(name="t", columns=(Column(name="c", type=new),)),))
    plan = make_plan(before, after)
    run_plan(db, plan)
    assert (plan.steps[0].hazard.value != "safe") is rewrites
    assert (_relfilenode(db, "t") != node) is rewrites


def test_narrowing_varchar_fails_instead_of_truncating(db: str) -> None:
    before = model.Database(tables=(model.Table(name="t", columns=(Column(name="c", type="character varying(50)"),)),))
    run_plan(db, make_plan(model.Database(), before))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO t VALUES ('a long value that does not fit')")
    after = model.Database(tables=(model.Table(name="t", columns=(Column(name="c", type="character varying(5)"),)),))
    plan = make_plan(before, after)
    assert [s.hazard.value for s in plan.steps] == ["destructive"]
    with pytest.raises(psycopg.errors.StringDataRightTruncation):
        run_plan(db, plan)
    assert query(db, "SELECT c FROM t") == [("a long value that does not fit",)]


def _cases() -> dict[str, tuple[model.Database, model.Database, str]]:
    """before, after, rows inserted in between: alterations that need care on PostgreSQL."""
    vin = Column(name="vin", type="text", generated="(data ->> 'vin'::text)")
    data = Column(name="data", type="jsonb")
    vin_idx = Index(name="t_vin_idx", keys=(IndexKey(column="vin"),))
    a_code = Column(name="code", type="text", nullable=False)
    ref = ForeignKey(name="b_code_fkey", columns=("code",), ref_table="a", ref_columns=("code",))

    def t(*columns: Column, **fields: object) -> model.Database:
        return model.Database(tables=(replace(model.Table(name="t", columns=columns), **fields),))

    n = Column(name="n", type="integer")
    enum_table = t(Column(name="s", type="e"), checks=(CheckConstraint(name="t_s_check", expression="s <> 'b'::e"),),
                   indexes=(Index(name="t_s_idx", keys=(IndexKey(column="s"),), where="s = 'a'::e"),))
    return {
        "generated expression changes": (
            t(data, vin, indexes=(vin_idx,)), t(data, replace(vin, generated="upper((data ->> 'vin'::text))"),
                                                  indexes=(vin_idx,)),
            """INSERT INTO t (data) VALUES ('{"vin": "abc"}')"""),
        "generated column becomes plain": (t(data, vin), t(data, replace(vin, generated=None)), ""),
        "identity added to a nullable column": (
            t(n), t(replace(n, nullable=False, identity="BY DEFAULT")), "INSERT INTO t VALUES (1)"),
        "identity dropped": (t(replace(n, nullable=False, identity="ALWAYS")), t(replace(n, nullable=False)), ""),
        "integer becomes serial": (
            t(n), t(replace(n, type="serial", nullable=False)), "INSERT INTO t VALUES (5)"),
        "collation changes": (
            t(Column(name="s", type="text"), indexes=(Index(name="t_s_idx", keys=(IndexKey(column="s"),)),)),
            t(Column(name="s", type="text", collation="C"),
              indexes=(Index(name="t_s_idx", keys=(IndexKey(column="s"),)),)),
            "INSERT INTO t VALUES ('x')"),
        "unique constraint replaced by a unique index under a foreign key": (
            model.Database(tables=(model.Table(name="a", columns=(a_code,),
                                               uniques=(UniqueConstraint(name="a_code_key", columns=("code",)),)),
                                   model.Table(name="b", columns=(a_code,), foreign_keys=(ref,)))),
            model.Database(tables=(model.Table(name="a", columns=(a_code,),
                                               indexes=(Index(name="a_code_idx", keys=(IndexKey(column="code"),),
                                                              unique=True),)),
                                   model.Table(name="b", columns=(a_code,), foreign_keys=(ref,)))),
            "INSERT INTO a VALUES ('x'); INSERT INTO b VALUES ('x')"),
        "enum rebuilt under a partial index and a check": (
            replace(enum_table, enums=(model.EnumType(name="e", values=("a", "b", "c")),)),
            replace(enum_table, enums=(model.EnumType(name="e", values=("b", "a")),)),
            "INSERT INTO t VALUES ('a')"),
        "constraint and index renamed": (
            model.Database(tables=(model.Table(name="a", columns=(a_code,),
                                               uniques=(UniqueConstraint(name="old_key", columns=("code",)),),
                                               indexes=(Index(name="old_idx", keys=(IndexKey(column="code"),)),)),)),
            model.Database(tables=(model.Table(name="a", columns=(a_code,),
                                               uniques=(UniqueConstraint(name="a_code_key", columns=("code",)),),
                                               indexes=(Index(name="a_idx", keys=(IndexKey(column="code"),)),)),)),
            ""),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_alterations_run_on_postgresql(db: str, case: str) -> None:
    before, after, rows = _cases()[case]
    run_plan(db, make_plan(model.Database(), before))
    if rows:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(rows)
    run_plan(db, make_plan(before, after))
    assert query(db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert names_in(db) == names_of(after)


