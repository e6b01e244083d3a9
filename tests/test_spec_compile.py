"""spec.compile: YAML -> model, compared as whole values."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pgevolve import model as m
from pgevolve.source import compile_project, load_project
from pgevolve.source.compile import compile_hints, sql_default


def compile_files(
    tmp_path: Path, files: dict[str, str], project: str = "schema: public\n"
) -> tuple[m.Database, m.Hints]:
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text(project)
    for relative, text in files.items():
        (schema / relative).parent.mkdir(parents=True, exist_ok=True)
        (schema / relative).write_text(text)
    return compile_project(load_project(schema))


def compile_table(tmp_path: Path, text: str, name: str = "t", **others: str) -> m.Table:
    files = {f"tables/{name}.yaml": text, **{f"tables/{k}.yaml": v for k, v in others.items()}}
    table = compile_files(tmp_path, files)[0].table(name)
    assert table is not None
    return table


USERS = "table: users\ncolumns:\n  id: { type: bigserial, primary_key: true }\n"


def test_column_level_forms(tmp_path: Path) -> None:
    text = """\
table: leads
description: People who may become clients.
columns:
  id:          { type: uuid, primary_key: true, default: uuid_generate_v4() }
  email:       { type: "varchar(320)", unique: true, nullable: false, description: Work email. }
  client_type: { type: text, enum: [Individual, Business], default: "'Individual'" }
  score:       { type: int, check: "score BETWEEN 0 AND 100", default: 0 }
  ratio:       { type: float, default: 0.5 }
  active:      { type: bool, default: true }
  owner_id:    { type: bigint, references: users.id, on_delete: set null, on_update: cascade }
  name:        { type: text, collation: C }
  seq:         { type: integer, identity: by default }
  upper_name:  { type: text, generated: upper(name) }
  created_at:  { type: timestamptz, nullable: false, default: now() }
"""
    assert compile_table(tmp_path, text, name="leads", users=USERS) == m.Table(
        name="leads",
        comment="People who may become clients.",
        columns=(
            m.Column(name="id", type="uuid", nullable=False, default="uuid_generate_v4()"),
            m.Column(name="email", type="character varying(320)", nullable=False, comment="Work email."),
            m.Column(name="client_type", type="text", default="'Individual'"),
            m.Column(name="score", type="integer", default="0"),
            m.Column(name="ratio", type="double precision", default="0.5"),
            m.Column(name="active", type="boolean", default="true"),
            m.Column(name="owner_id", type="bigint"),
            m.Column(name="name", type="text", collation="C"),
            m.Column(name="seq", type="integer", nullable=False, identity="BY DEFAULT"),
            m.Column(name="upper_name", type="text", generated="upper(name)"),
            m.Column(name="created_at", type="timestamp with time zone", nullable=False, default="now()"),
        ),
        primary_key=m.PrimaryKey(name="leads_pkey", columns=("id",)),
        uniques=(m.UniqueConstraint(name="leads_email_key", columns=("email",)),),
        checks=(
            m.CheckConstraint(
                name="leads_client_type_check", expression="\"client_type\" IN ('Individual', 'Business')"
            ),
            m.CheckConstraint(name="leads_score_check", expression="score BETWEEN 0 AND 100"),
        ),
        foreign_keys=(
            m.ForeignKey(
                name="leads_owner_id_fkey",
                columns=("owner_id",),
                ref_table="users",
                ref_columns=("id",),
                on_delete="SET NULL",
                on_update="CASCADE",
            ),
        ),
    )


def test_table_level_forms_with_names(tmp_path: Path) -> None:
    text = """\
table: memberships
columns:
  org_id:  { type: integer }
  user_id: { type: bigint }
  role:    { type: text }
  since:   { type: date }
primary_key: { columns: [org_id, user_id], name: memberships_pk }
unique:
  - [user_id, role]
  - { columns: [role, since], name: memberships_role_since }
checks:
  - { expression: "since > '2000-01-01'" }
  - { expression: "org_id <> user_id" }
  - { expression: "role <> ''", name: role_not_empty }
foreign_keys:
  - columns: [user_id]
    references: { table: users, columns: [id] }
    on_delete: cascade
    deferrable: true
    initially_deferred: true
  - columns: [org_id]
    references: { table: orgs, columns: [id] }
    name: memberships_org
indexes:
  - columns: [role, since]
    unique: true
    where: "since IS NOT NULL"
  - columns: [role]
    using: hash
    name: memberships_role_hash
    description: Role lookups.
  - expression: "lower(role)"
    opclass: text_pattern_ops
  - columns: [since]
    include: [role]
"""
    orgs = "table: orgs\ncolumns:\n  id: { type: serial, primary_key: true }\n"
    assert compile_table(tmp_path, text, name="memberships", users=USERS, orgs=orgs) == m.Table(
        name="memberships",
        columns=(
            m.Column(name="org_id", type="integer", nullable=False),
            m.Column(name="user_id", type="bigint", nullable=False),
            m.Column(name="role", type="text"),
            m.Column(name="since", type="date"),
        ),
        primary_key=m.PrimaryKey(name="memberships_pk", columns=("org_id", "user_id")),
        uniques=(
            m.UniqueConstraint(name="memberships_role_since", columns=("role", "since")),
            m.UniqueConstraint(name="memberships_user_id_role_key", columns=("user_id", "role")),
        ),
        checks=(
            m.CheckConstraint(name="memberships_check", expression="org_id <> user_id"),
            m.CheckConstraint(name="memberships_since_check", expression="since > '2000-01-01'"),
            m.CheckConstraint(name="role_not_empty", expression="role <> ''"),
        ),
        foreign_keys=(
            m.ForeignKey(name="memberships_org", columns=("org_id",), ref_table="orgs", ref_columns=("id",)),
            m.ForeignKey(
                name="memberships_user_id_fkey",
                columns=("user_id",),
                ref_table="users",
                ref_columns=("id",),
                on_delete="CASCADE",
                deferrable=True,
                initially_deferred=True,
            ),
        ),
        indexes=(
            m.Index(
                name="memberships_lower_idx",
                keys=(m.IndexKey(expression="lower(role)", opclass="text_pattern_ops"),),
            ),
            m.Index(
                name="memberships_role_hash", keys=(m.IndexKey(column="role"),), method="hash", comment="Role lookups."
            ),
            m.Index(
                name="memberships_role_since_idx",
                keys=(m.IndexKey(column="role"), m.IndexKey(column="since")),
                unique=True,
                where="since IS NOT NULL",
            ),
            m.Index(name="memberships_since_role_idx", keys=(m.IndexKey(column="since"),), include=("role",)),
        ),
    )


def test_clashing_default_names_are_numbered_like_postgresql(tmp_path: Path) -> None:
    text = """\
table: t
columns:
  id:     { type: integer, primary_key: true }
  status: { type: text, enum: [a, b], check: "status <> 'c'" }
  n:      { type: integer, check: "n > 0" }
checks:
  - { expression: "n < 10" }
  - { expression: "n <> id" }
  - { expression: "true" }
  - { expression: "n <> 5", name: t_n_check1 }
indexes:
  - columns: [n]
  - columns: [n]
  - expression: "n + 1"
  - expression: "n + 2"
"""
    table = compile_table(tmp_path, text)
    assert [c.name for c in table.checks] == [
        "t_check",
        "t_check1",
        "t_n_check",
        "t_n_check1",
        "t_n_check2",
        "t_status_check",
        "t_status_check1",
    ]
    assert {c.name: c.expression for c in table.checks}["t_n_check2"] == "n < 10"
    assert [i.name for i in table.indexes] == ["t_expr_idx", "t_expr_idx1", "t_n_idx", "t_n_idx1"]


def test_default_names_match_postgresql(tmp_path: Path, db: str) -> None:
    """The same table built by hand without names gets the names the compiler chose."""
    text = """\
table: t
columns:
  id:     { type: integer, primary_key: true }
  status: { type: text, enum: [a, b], check: "status <> 'c'" }
  n:      { type: integer, unique: true, references: t.id }
checks:
  - { expression: "n < 10" }
  - { expression: "n <> id" }
indexes:
  - columns: [n]
  - columns: [n]
  - expression: "lower(status)"
"""
    table = compile_table(tmp_path, text)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE t (id integer PRIMARY KEY, status text CHECK (status IN ('a', 'b')) CHECK (status <> 'c'),"
            " n integer UNIQUE REFERENCES t (id), CHECK (n < 10), CHECK (n <> id))"
        )
        for columns in ("(n)", "(n)", "((lower(status)))"):
            conn.execute(f"CREATE INDEX ON t {columns}")
        constraints = {r[0] for r in conn.execute(  # contype 'n': PostgreSQL 18's named NOT NULL constraints
            "SELECT conname FROM pg_constraint WHERE conrelid = 't'::regclass AND contype <> 'n'")}
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 't'")}
    assert table.primary_key is not None
    compiled = {table.primary_key.name} | {c.name for c in (*table.uniques, *table.checks, *table.foreign_keys)}
    assert compiled == constraints
    assert {i.name for i in table.indexes} | {table.primary_key.name, table.uniques[0].name} == indexes


def test_database_extensions_enums_and_tables_are_sorted(tmp_path: Path) -> None:
    project = """\
schema: crm
extensions: [uuid-ossp, citext]
enums:
  policy_status: { values: [quoted, active], description: Where a policy is. }
  contact_method: [email, phone]
"""
    files = {"tables/zebra.yaml": USERS.replace("users", "zebra"), "tables/apple.yaml": USERS.replace("users", "apple")}
    db, hints = compile_files(tmp_path, files, project=project)
    assert (db.schema, db.extensions, db.enums) == (
        "crm",
        (m.Extension(name="citext"), m.Extension(name="uuid-ossp")),
        (
            m.EnumType(name="contact_method", values=("email", "phone")),
            m.EnumType(name="policy_status", values=("quoted", "active"), comment="Where a policy is."),
        ),
    )
    assert [t.name for t in db.tables] == ["apple", "zebra"]
    assert hints == m.Hints()


def test_enum_typed_column(tmp_path: Path) -> None:
    columns = "  id: { type: serial, primary_key: true }\n  how: { type: contact_method }\n"
    files = {"tables/t.yaml": f"table: t\ncolumns:\n{columns}"}
    db, _ = compile_files(tmp_path, files, project="schema: public\nenums:\n  contact_method: [email]\n")
    assert db.tables[0].columns == (
        m.Column(name="id", type="serial", nullable=False),
        m.Column(name="how", type="contact_method"),
    )


def test_hints(tmp_path: Path) -> None:
    text = """\
table: clients
renamed_from: customers
columns:
  id: { type: integer, primary_key: true }
  full_name: { type: text, renamed_from: name }
  custom_fields: { type: custom_fields }
  referral_source: { type: text, promoted_from: custom_fields.referral_source }
"""
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "clients.yaml").write_text(text)
    assert compile_hints(load_project(schema)) == m.Hints(
        table_renames={"clients": "customers"},
        column_renames={("clients", "full_name"): "name"},
        promotions=(
            m.Promotion(
                table="clients", column="referral_source", source_column="custom_fields", key="referral_source"
            ),
        ),
    )


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        (None, None),
        ("now()", "now()"),
        (0, "0"),
        (12, "12"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        (float("inf"), "'Infinity'"),
        (float("-inf"), "'-Infinity'"),
        (float("nan"), "'NaN'"),
    ],
)
def test_sql_default(value: object, sql: str | None) -> None:
    assert sql_default(value) == sql  # type: ignore[arg-type]


# --- JSONB columns: the lowering is spec.jsonb's; compile wires it in ----------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeLowering:
    type: str
    nullable: bool | None
    default: str | None
    checks: tuple[m.CheckConstraint, ...]
    indexes: tuple[m.Index, ...]


def test_jsonb_columns_go_through_the_lowering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, dict, dict]] = []

    def lower_jsonb_column(table: str, column: str, spec: dict, shapes: dict) -> FakeLowering:
        calls.append((table, column, spec, shapes))
        index = m.Index(name=f"{table}_{column}_idx", keys=(m.IndexKey(column=column),), method="gin")
        return FakeLowering(
            type="jsonb",
            nullable=False if spec["type"] in ("tags", "custom_fields") else None,
            default="'[]'::jsonb" if spec["type"] == "tags" else None,
            checks=(m.CheckConstraint(name=f"{table}_{column}_check", expression=f"jsonb_typeof({column}) <> ''"),),
            indexes=(index,),
        )

    fake = types.ModuleType("pgevolve.source.jsonb")
    fake.lower_jsonb_column = lower_jsonb_column  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pgevolve.source.jsonb", fake)
    text = """\
table: t
columns:
  id:   { type: integer, primary_key: true }
  tags: { type: tags, check: "jsonb_array_length(tags) < 50" }
  car:  { type: jsonb, shape: vehicle, description: The car. }
  meta: { type: jsonb }
indexes:
  - columns: [tags]
"""
    shape = "shape: vehicle\nproperties:\n  vin: { type: string, index: true }\n"
    db, _ = compile_files(tmp_path, {"tables/t.yaml": text, "shapes/vehicle.yaml": shape})
    vehicle = {"shape": "vehicle", "properties": {"vin": {"type": "string", "index": True}}}
    assert calls == [
        ("t", "tags", {"type": "tags", "check": "jsonb_array_length(tags) < 50"}, {"vehicle": vehicle}),
        ("t", "car", {"type": "jsonb", "shape": "vehicle", "description": "The car."}, {"vehicle": vehicle}),
    ]
    assert db.tables[0] == m.Table(
        name="t",
        columns=(
            m.Column(name="id", type="integer", nullable=False),
            m.Column(name="tags", type="jsonb", nullable=False, default="'[]'::jsonb"),
            m.Column(name="car", type="jsonb", comment="The car."),
            m.Column(name="meta", type="jsonb"),
        ),
        primary_key=m.PrimaryKey(name="t_pkey", columns=("id",)),
        checks=(
            m.CheckConstraint(name="t_car_check", expression="jsonb_typeof(car) <> ''"),
            m.CheckConstraint(name="t_tags_check", expression="jsonb_array_length(tags) < 50"),
            # the lowering's name was taken by the column's own check: numbered like PostgreSQL would
            m.CheckConstraint(name="t_tags_check1", expression="jsonb_typeof(tags) <> ''"),
        ),
        indexes=(
            m.Index(name="t_car_idx", keys=(m.IndexKey(column="car"),), method="gin"),
            m.Index(name="t_tags_idx", keys=(m.IndexKey(column="tags"),)),
            m.Index(name="t_tags_idx1", keys=(m.IndexKey(column="tags"),), method="gin"),
        ),
    )
