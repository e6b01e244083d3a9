"""Issue 11's format extensions without a server: compilation, storage values, DDL, diff (validation:
test_spec_semantic.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pgevolve import model as m
from pgevolve.changes import SetReplicaIdentity, SetStorage, ValidateConstraint
from pgevolve.diff import diff
from pgevolve.errors import UnsafeSql
from pgevolve.source import compile_project, load_project
from pgevolve.sqltext import ddl, storage

TABLE = """table: ev
columns:
  id:  { type: bigint, primary_key: true }
  org: { type: integer, nullable: false }
  at:  { type: timestamptz }
  po:  { type: text }
primary_key_placeholder
indexes:
  - keys: [org, { expression: "lower(po)" }, { column: at, desc: true }]
  - keys: [{ column: at, desc: true, nulls: first }, { column: at, nulls: last },
           { column: at, desc: true, nulls: last }]
  - { keys: [{ column: po, opclass: extensions.gin_trgm_ops }, org], using: gin }
  - { columns: [po], unique: true, nulls_not_distinct: true, include: [org] }
unique:
  - { columns: [po, org], nulls_not_distinct: true, include: [at], deferrable: true, initially_deferred: true }
checks:
  - { expression: "org > 0", not_valid: true, no_inherit: true }
storage: { fillfactor: 70, toast.autovacuum_enabled: false, autovacuum_vacuum_scale_factor: 0.0050 }
replica_identity: { index: ev_po_org_idx }
"""


def _compile(tmp_path: Path, table: str) -> m.Table:
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "ev.yaml").write_text(table)
    database, _ = compile_project(load_project(schema))
    found = database.table("ev")
    assert found is not None
    return found


def test_keys_compile_to_the_catalog_s_model(tmp_path: Path) -> None:
    table = _compile(tmp_path, TABLE.replace("primary_key_placeholder\n", ""))
    indexes = {i.name: i for i in table.indexes}
    assert indexes["ev_org_lower_at_idx"].keys == (
        m.IndexKey(column="org"), m.IndexKey(expression="lower(po)"), m.IndexKey(column="at", descending=True))
    # NULLS FIRST is the default descending, NULLS LAST ascending: only departures are kept.
    assert indexes["ev_at_at_at_idx"].keys == (
        m.IndexKey(column="at", descending=True), m.IndexKey(column="at"),
        m.IndexKey(column="at", descending=True, nulls_first=False))
    assert indexes["ev_po_org_idx"].keys[0].opclass == "extensions.gin_trgm_ops"
    assert indexes["ev_po_org_idx1"] == m.Index(name="ev_po_org_idx1", keys=(m.IndexKey(column="po"),), unique=True,
                                               include=("org",), nulls_not_distinct=True)
    assert table.uniques == (m.UniqueConstraint(name="ev_po_org_key", columns=("po", "org"), include=("at",),
                                                nulls_not_distinct=True, deferrable=True, initially_deferred=True),)
    assert table.checks == (m.CheckConstraint(name="ev_org_check", expression="org > 0", valid=False,
                                              no_inherit=True),)
    assert table.storage == (("autovacuum_vacuum_scale_factor", "0.005"), ("fillfactor", "70"),
                             ("toast.autovacuum_enabled", "false"))
    assert (table.replica_identity, table.replica_identity_index) == ("index", "ev_po_org_idx")


def test_a_primary_key_with_options(tmp_path: Path) -> None:
    text = TABLE.replace("  id:  { type: bigint, primary_key: true }", "  id:  { type: bigint }").replace(
        "primary_key_placeholder", "primary_key: { columns: [id], include: [po], deferrable: true }")
    assert _compile(tmp_path, text).primary_key == m.PrimaryKey(name="ev_pkey", columns=("id",), include=("po",),
                                                                deferrable=True)


@pytest.mark.parametrize(("name", "value", "canonical"), [
    ("fillfactor", 70, "70"), ("fillfactor", "070", "56"), ("fillfactor", "0x46", "70"),
    ("autovacuum_vacuum_scale_factor", "0.0050", "0.005"), ("autovacuum_vacuum_scale_factor", 0, "0.0"),
    ("autovacuum_enabled", "off", "false"), ("autovacuum_enabled", "t", "true"), ("autovacuum_enabled", True, "true"),
    ("vacuum_index_cleanup", "AUTO", "auto"), ("vacuum_index_cleanup", False, "off"), ("vacuum_index_cleanup", "yes",
                                                                                       "on"),
    ("toast.autovacuum_vacuum_threshold", "10", "10"), ("log_autovacuum_min_duration", -1, "-1"),
])
def test_storage_values_have_one_spelling(name: str, value: storage.Value, canonical: str) -> None:
    """reloptions keep the text as written (0.0050, off, 010 in quotes is octal to PostgreSQL): both sides agree."""
    assert storage.canonical_value(name, value) == canonical
    assert storage.canonical_value(name, storage.yaml_value(name, canonical)) == canonical


@pytest.mark.parametrize(("name", "value"), [("fillfactor", 9), ("fillfactor", 70.5), ("autovacuum_enabled", "maybe"),
                                             ("vacuum_index_cleanup", "sometimes"),
                                             ("autovacuum_vacuum_scale_factor", "nan")])
def test_storage_values_out_of_range_are_refused(name: str, value: storage.Value) -> None:
    with pytest.raises(storage.StorageValueError):
        storage.canonical_value(name, value)


def test_names_and_values_reach_sql_quoted_or_from_the_list() -> None:
    scope = ddl.Scope("app")
    index = m.Index(name="i", keys=(m.IndexKey(column="po", opclass='ext.gin"trgm', descending=True),))
    assert ddl.create_index("t", index, scope, concurrently=False) == (
        'CREATE INDEX "i" ON "app"."t" USING btree ("po" "ext"."gin""trgm" DESC)')
    with pytest.raises(UnsafeSql, match="access method"):
        ddl.create_index("t", replace(index, method="btree; DROP TABLE x"), scope, concurrently=False)
    assert ddl.set_storage("t", (("toast.autovacuum_enabled", "false"), ("vacuum_index_cleanup", "auto")), scope) == (
        'ALTER TABLE "app"."t" SET ("toast"."autovacuum_enabled" = false, "vacuum_index_cleanup" = \'auto\')')
    assert ddl.reset_storage("t", ("fillfactor",), scope) == 'ALTER TABLE "app"."t" RESET ("fillfactor")'
    assert ddl.set_replica_identity("t", "index", 'odd "name', scope) == (
        'ALTER TABLE "app"."t" REPLICA IDENTITY USING INDEX "odd ""name"')
    assert ddl.create_table(m.Table(name="marker", columns=()), scope) == 'CREATE TABLE "app"."marker" ()'


def _db(table: m.Table) -> m.Database:
    return m.Database(tables=(table,))


BASE = m.Table(name="t", columns=(m.Column(name="id", type="integer", nullable=False),
                                  m.Column(name="a", type="integer")),
               primary_key=m.PrimaryKey(name="t_pkey", columns=("id",)))


def test_storage_is_set_and_reset_by_name() -> None:
    actual = replace(BASE, storage=(("autovacuum_enabled", "false"), ("fillfactor", "70")))
    desired = replace(BASE, storage=(("fillfactor", "80"), ("toast.autovacuum_enabled", "false")))
    assert diff(_db(actual), _db(desired)) == [
        SetStorage(table="t", set=(("fillfactor", "80"), ("toast.autovacuum_enabled", "false")),
                   reset=("autovacuum_enabled",))]


def test_declared_not_valid_is_satisfied_by_a_valid_constraint_and_never_validated() -> None:
    check = m.CheckConstraint(name="t_a_check", expression="(a > 0)")
    declared = replace(BASE, checks=(replace(check, valid=False),))
    assert diff(_db(replace(BASE, checks=(check,))), _db(declared)) == []  # PostgreSQL cannot un-validate
    assert diff(_db(declared), _db(declared)) == []
    # Removing not_valid from the YAML: VALIDATE (with its pre-check, see prechecks.py).
    assert diff(_db(declared), _db(replace(BASE, checks=(check,)))) == [
        ValidateConstraint(table="t", constraint=check)]


def test_replica_identity_follows_a_rebuilt_index() -> None:
    index = m.Index(name="t_a_idx", keys=(m.IndexKey(column="a"),), unique=True)
    actual = replace(BASE, indexes=(index,), replica_identity="index", replica_identity_index="t_a_idx")
    desired = replace(actual, indexes=(replace(index, nulls_not_distinct=True),))
    changes = diff(_db(actual), _db(desired))
    # A new index is not the identity of the one it replaces: set it again once built.
    assert changes[-1] == SetReplicaIdentity(table="t", identity="index", index="t_a_idx")
    assert diff(_db(actual), _db(replace(actual, replica_identity="full", replica_identity_index=None))) == [
        SetReplicaIdentity(table="t", identity="full")]


def test_the_json_schema_lists_exactly_the_managed_storage_parameters() -> None:
    """format.schema.json (what editors and the first validation pass see) and sqltext/storage.py agree."""
    from pgevolve.source import format_json_schema

    listed = format_json_schema()["$defs"]["tableFile"]["properties"]["storage"]["properties"]
    assert set(listed) == set(storage.TABLE_PARAMETERS)
    for name, parameter in storage.TABLE_PARAMETERS.items():
        if parameter.kind in ("integer", "real"):
            assert (listed[name]["minimum"], listed[name]["maximum"]) == (parameter.minimum, parameter.maximum), name
