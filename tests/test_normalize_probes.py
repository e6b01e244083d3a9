"""Probes (catalog/probes.py) normalize exactly as building the whole schema does.

The golden cases check the probes end to end (a plan right after apply is empty, against the
real catalog); here the two normalizations are compared directly, model for model, on cases
that exercise every kind of server-rewritten text, and the fallbacks are pinned.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from conftest import DatabaseFactory
from pgevolve import model
from pgevolve.catalog import normalize as normalize_module
from pgevolve.catalog.normalize import SCRATCH_PREFIX, EarlyScratch, build_whole, materialize, scratch_database
from pgevolve.catalog.probes import plan_probes
from pgevolve.errors import ConnectionFailed, ExecutionFailed
from pgevolve.pipeline import compile_schema, read_database
from pgevolve.server.connect import with_dbname
from pgevolve.sqltext.ddl import Scope

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parent.parent
COVERING = [  # defaults, generated, identity, serial, collations, enums, index shapes, shapes, unmanaged functions
    "columns/default_spellings_no_changes", "columns/generated_column", "columns/identity_column_add",
    "columns/collation_change", "enums/remove_value_with_partial_index_and_check", "indexes/gist_range",
    "indexes/include_columns", "indexes/desc_index_in_live", "jsonb/shape_strict",
    "unmanaged/unmanaged_functions_in_expressions",
    # issue 11's adoption (key options, storage, extension schemas, standalone sequences) and empty tables
    "adoption/extension_schema_types", "adoption/storage_parameters",
    "adoption/desc_nulls_first_keys", "adoption/no_inherit_check", "adoption/not_valid_constraints",
    "adoption/column_less_table", "adoption/nulls_not_distinct", "adoption/opclass_per_key",
    "schemas/extension_in_another_schema", "extensions/citext_column_type",
]


def _schema_dir(case: Path, tmp_path: Path) -> Path:
    schema_dir = tmp_path / "schema"
    shutil.copytree(case / "schema", schema_dir)
    if not (schema_dir / "pgevolve.yaml").exists():
        (schema_dir / "pgevolve.yaml").write_text("schema: public\n")
    return schema_dir


def _cases() -> list[Path]:
    found = [CASES / name for name in COVERING if (CASES / name / "schema").is_dir()]
    return [*found, ROOT]  # and the CRM of schema/


@pytest.mark.parametrize("case", _cases(), ids=lambda p: str(p.relative_to(CASES)) if CASES in p.parents else "crm")
def test_probes_equal_the_whole_build(case: Path, databases: DatabaseFactory, pg_server_dsn: str,
                                      tmp_path: Path, private_cache: Path) -> None:
    desired = compile_schema(_schema_dir(case, tmp_path)).desired
    before = case / "before.sql"
    live = databases.create(before.read_text() if before.exists() else None)
    setup = tuple(o.setup for o in read_database(live, desired.schema)[1] if o.setup)
    assert plan_probes(desired) is not None, "this case should not need the whole build"
    assert materialize(desired, server_dsn=pg_server_dsn, setup=setup) == \
        build_whole(desired, server_dsn=pg_server_dsn, setup=setup)


def _table(name: str, *columns: model.Column, checks: tuple[model.CheckConstraint, ...] = (),
           indexes: tuple[model.Index, ...] = ()) -> model.Table:
    return model.Table(name=name, columns=columns, checks=checks, indexes=indexes)


def test_alike_tables_share_their_probes() -> None:
    def table(name: str) -> model.Table:
        return _table(name, model.Column(name="id", type="uuid", default="gen_random_uuid()"),
                      model.Column(name="amount", type="numeric(12,2)"),
                      checks=(model.CheckConstraint(name=f"{name}_amount_check", expression="amount >= 0"),),
                      indexes=(model.Index(name=f"{name}_expr_idx",
                                           keys=(model.IndexKey(expression="amount * 2"),)),))

    plan = plan_probes(model.Database(tables=tuple(table(f"t{i}") for i in range(50))))
    assert plan is not None
    assert len(plan.types) == 2  # (uuid, default) and (numeric(12,2), no default)
    assert len(plan.contexts) == 1  # the CHECK and the index both name amount only
    assert len(plan.statements(Scope("public"))) == 3  # one types table, one context table, one index


@pytest.mark.parametrize("expression", ["t.amount > 0", "t IS NOT NULL", "amount > (SELECT 1)", "missing > 0"])
def test_what_probes_cannot_stand_for_takes_the_whole_build(expression: str) -> None:
    table = _table("t", model.Column(name="amount", type="integer"),
                   checks=(model.CheckConstraint(name="t_check", expression=expression),))
    assert plan_probes(model.Database(tables=(table,))) is None


def test_a_default_drawing_from_a_serial_of_the_schema_takes_the_whole_build() -> None:
    owner = _table("a", model.Column(name="id", type="serial", nullable=False))
    user = _table("b", model.Column(name="n", type="integer", default="nextval('a_id_seq'::regclass)"))
    assert plan_probes(model.Database(tables=(owner, user))) is None


def test_prerequisites_and_foreign_keys_into_other_schemas_take_the_whole_build() -> None:
    """The probes build neither prerequisites.sql nor stand-in tables of other schemas (docs/decisions.md)."""
    plain = _table("t", model.Column(name="id", type="integer"))
    assert plan_probes(model.Database(tables=(plain,))) is not None
    needs = model.Prerequisite(kind="function", name='"public"."f"()', sql="CREATE FUNCTION f() ...")
    assert plan_probes(model.Database(tables=(plain,), prerequisites=(needs,))) is None
    key = model.ForeignKey(name="t_user_fkey", columns=("id",), ref_table="users", ref_columns=("id",),
                           ref_schema="auth")
    assert plan_probes(model.Database(tables=(replace(plain, foreign_keys=(key,)),))) is None
    own = replace(key, ref_schema="public", ref_table="t")
    assert plan_probes(model.Database(tables=(replace(plain, foreign_keys=(own,)),))) is not None


def test_a_probe_the_reader_leaves_out_takes_the_whole_build(pg_server_dsn: str) -> None:
    """An expression key over a column of a non-default collation takes that collation (read as the expression's
    own, test_catalog_adoption): the probes give the model of the whole build."""
    table = _table("t", model.Column(name="email", type="text", collation="C"),
                   indexes=(model.Index(name="t_lower_idx", keys=(model.IndexKey(expression="lower(email)"),)),))
    desired = model.Database(tables=(table,))
    assert plan_probes(desired) is not None
    assert materialize(desired, server_dsn=pg_server_dsn) == build_whole(desired, server_dsn=pg_server_dsn)


def test_a_broken_schema_gets_the_whole_builds_error(pg_server_dsn: str) -> None:
    table = _table("t", model.Column(name="n", type="integer", default="'not a number'"))
    with pytest.raises(ExecutionFailed, match="does not build on PostgreSQL: invalid input syntax for type integer"):
        materialize(model.Database(tables=(table,)), server_dsn=pg_server_dsn)


def _scratch_databases(server_dsn: str) -> set[str]:
    with psycopg.connect(server_dsn) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                            (f"{SCRATCH_PREFIX}{os.getpid()}_",)).fetchall()
    return {name for (name,) in rows}


def test_a_scratch_database_made_early_is_the_one_normalization_builds_in_and_drops(pg_server_dsn: str) -> None:
    before = _scratch_databases(pg_server_dsn)
    early = EarlyScratch(pg_server_dsn)
    try:
        with scratch_database(pg_server_dsn, early) as dsn, psycopg.connect(dsn) as conn:
            name = conn.info.dbname
            assert name in _scratch_databases(pg_server_dsn) - before
            with scratch_database(pg_server_dsn, early) as other:  # taken once: another is made
                assert conninfo_to_dict(other)["dbname"] != name
    finally:
        early.close()
    assert _scratch_databases(pg_server_dsn) == before


def _admin_sessions(server_dsn: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The databases of the connections normalize opens to the server (its admin ones: not the scratch's)."""
    opened: list[str] = []
    real = normalize_module.connect

    def counted(dsn: str, **kwargs: object) -> object:
        opened.append(conninfo_to_dict(dsn)["dbname"])
        return real(dsn, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(normalize_module, "connect", counted)
    return opened


@pytest.mark.parametrize("made_early", [True, False])
def test_one_connection_creates_and_drops_the_scratch_database(pg_server_dsn: str, monkeypatch: pytest.MonkeyPatch,
                                                                made_early: bool) -> None:
    before = _scratch_databases(pg_server_dsn)
    opened = _admin_sessions(pg_server_dsn, monkeypatch)
    early = EarlyScratch(pg_server_dsn) if made_early else None
    try:
        with scratch_database(pg_server_dsn, early) as dsn:
            assert conninfo_to_dict(dsn)["dbname"] in _scratch_databases(pg_server_dsn)
    finally:
        if early is not None:
            early.close()
    assert _scratch_databases(pg_server_dsn) == before
    assert opened == [conninfo_to_dict(pg_server_dsn)["dbname"]]


def test_the_scratch_database_is_dropped_when_the_connection_that_made_it_is_lost(pg_server_dsn: str) -> None:
    before = _scratch_databases(pg_server_dsn)
    early = EarlyScratch(pg_server_dsn)
    try:
        with scratch_database(pg_server_dsn, early), psycopg.connect(pg_server_dsn, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                           "'pgevolve' AND pid <> pg_backend_pid() AND datname = current_database()")
    finally:
        early.close()
    assert _scratch_databases(pg_server_dsn) == before


def test_a_scratch_database_made_early_and_not_used_is_dropped(pg_server_dsn: str) -> None:
    before = _scratch_databases(pg_server_dsn)
    early = EarlyScratch(pg_server_dsn)
    assert early.take(with_dbname(pg_server_dsn, "template1")) is None  # another server's: not taken
    early.close()
    assert _scratch_databases(pg_server_dsn) == before


def test_a_scratch_database_that_could_not_be_made_early_is_made_or_explained_as_before(pg_server_dsn: str) -> None:
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS pgevolve_nocreatedb")
        conn.execute("CREATE ROLE pgevolve_nocreatedb LOGIN NOCREATEDB")
    try:
        info = conninfo_to_dict(pg_server_dsn)
        role_dsn = make_conninfo(pg_server_dsn, user="pgevolve_nocreatedb", **({"password": ""} if "password" in info
                                                                               else {}))
        early = EarlyScratch(role_dsn)
        try:
            with pytest.raises(ConnectionFailed, match="cannot create a scratch database .*permission denied"), \
                    scratch_database(role_dsn, early):
                pass
        finally:
            early.close()
    finally:
        with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
            conn.execute("DROP ROLE pgevolve_nocreatedb")
