"""Properties over generated schemas: any plan between two of them runs, and lands on the target."""

from __future__ import annotations

from dataclasses import replace

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_runs import names_in, names_of, query, run_plan
from sample_models import shuffled

from pgevolve import model
from pgevolve.diff import diff
from pgevolve.model import CheckConstraint, Column, ForeignKey, Index, IndexKey, PrimaryKey, UniqueConstraint
from pgevolve.plan.planner import make_plan
from pgevolve.sqltext.ddl import schema_sql

TYPES = ("text", "character varying(20)", "character varying(40)", "integer", "bigint")


@st.composite
def tables(draw: st.DrawFn, name: str) -> model.Table:
    columns = [Column(name="id", type="integer", nullable=False)]
    for column in ("x", "y", "z"):
        if draw(st.booleans()):
            default = draw(st.sampled_from([None, "NULL", "1"]))
            columns.append(Column(name=column, type=draw(st.sampled_from(TYPES)), nullable=draw(st.booleans()),
                                  default=None if default == "NULL" else default))
    names = [c.name for c in columns]
    table = model.Table(
        name=name, columns=tuple(columns),
        primary_key=PrimaryKey(name=f"{name}_pkey", columns=("id",)) if draw(st.booleans()) else None,
        checks=(CheckConstraint(name=f"{name}_id_check", expression="(id > 0)"),) if draw(st.booleans()) else (),
        comment=draw(st.sampled_from([None, "one", "two"])),
    )
    if "x" in names and draw(st.booleans()):
        table = replace(table, uniques=(UniqueConstraint(name=f"{name}_x_key", columns=("x",)),))
    if "y" in names and draw(st.booleans()):
        index = Index(name=f"{name}_y_idx", keys=(IndexKey(column="y", descending=draw(st.booleans())),),
                      unique=draw(st.booleans()))
        table = replace(table, indexes=(index,))
    return table


@st.composite
def schemas(draw: st.DrawFn) -> model.Database:
    chosen = [draw(tables(n)) for n in ("a", "b", "c") if draw(st.booleans())]
    with_keys = [t.name for t in chosen if t.primary_key]
    result = []
    for table in chosen:  # a foreign key id -> another table's primary key, sometimes
        target = draw(st.sampled_from([None, *with_keys]))
        if target:
            fk = ForeignKey(name=f"{table.name}_id_fkey", columns=("id",), ref_table=target, ref_columns=("id",))
            table = replace(table, foreign_keys=(fk,))
        result.append(table)
    return model.Database(tables=model.sort_by_name(result))


@given(schemas(), schemas())
def test_plans_are_deterministic_and_ordered(actual: model.Database, desired: model.Database) -> None:
    plan = make_plan(actual, desired)
    assert make_plan(shuffled(actual), shuffled(desired)) == plan
    assert [s.phase for s in plan.steps] == sorted(s.phase for s in plan.steps)
    assert diff(desired, desired) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actual=schemas(), desired=schemas())
def test_any_plan_runs_and_reaches_the_desired_names(databases, actual: model.Database,
                                                     desired: model.Database) -> None:
    dsn = databases.create(schema_sql(actual) if actual.tables else None)
    run_plan(dsn, make_plan(actual, desired))
    assert names_in(dsn) == names_of(desired)
    for table in desired.tables:
        rows = query(dsn, "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                          "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname",
                     table.name)
        wanted = sorted((c.name, c.type, not c.nullable or bool(table.primary_key and c.name == "id"))
                        for c in table.columns)
        assert rows == wanted
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone() == (0,)
