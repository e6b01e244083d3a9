"""The project's own CRM schema: validate, generate, and build it on a real PostgreSQL.

The catalog is read here with plain queries (not pgevolve's introspection), so
these tests check the generated DDL against PostgreSQL itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from conftest import cli as run

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
GENERATED = ROOT / "generated"



def test_validate_exits_0_on_the_crm_schema() -> None:
    code, out = run("validate", "--schema-dir", str(SCHEMA))
    assert code == 0, out
    assert "valid (10 tables, 4 shapes)" in out


def test_generated_is_up_to_date() -> None:
    code, out = run("generate", "--schema-dir", str(SCHEMA), "--out", str(GENERATED), "--check")
    assert code == 0, out


def test_generate_check_reports_stale_files(tmp_path: Path) -> None:
    out_dir = tmp_path / "generated"
    shutil.copytree(GENERATED, out_dir)
    (out_dir / "schema.sql").write_text("-- edited by hand\n")
    (out_dir / "jsonschema" / "gone.schema.json").write_text("{}")
    code, out = run("generate", "--schema-dir", str(SCHEMA), "--out", str(out_dir), "--check")
    assert code == 1
    assert "schema.sql: stale" in out and "gone.schema.json: stale" in out
    assert (out_dir / "schema.sql").read_text() == "-- edited by hand\n"  # --check writes nothing
    code, out = run("generate", "--schema-dir", str(SCHEMA), "--out", str(out_dir))
    assert code == 0
    assert not (out_dir / "jsonschema" / "gone.schema.json").exists()
    assert run("generate", "--schema-dir", str(SCHEMA), "--out", str(out_dir), "--check")[0] == 0


def test_shape_json_schemas_are_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    for path in sorted((GENERATED / "jsonschema").glob("*.schema.json")):
        Draft202012Validator.check_schema(json.loads(path.read_text()))
    vehicle = Draft202012Validator(json.loads((GENERATED / "jsonschema" / "vehicle.schema.json").read_text()))
    assert vehicle.is_valid({"vin": "1HGCM82633A004352", "year": 2004})
    assert not vehicle.is_valid({"vin": 42})


@pytest.fixture
def crm(db: str) -> str:
    """A database built from generated/schema.sql."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute((GENERATED / "schema.sql").read_text())  # type: ignore[arg-type]
    return db


def _rows(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def test_schema_sql_builds_the_declared_catalog(crm: str) -> None:
    tables = {r[0] for r in _rows(crm, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"users", "lead_statuses", "client_statuses", "insurance_types", "clients", "leads",
                      "locations", "contact_methods", "ai_interactions", "support_tickets"}
    fks = set(_rows(crm, """
        SELECT conrelid::regclass::text, conname, confrelid::regclass::text, confdeltype
        FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ('ai_interactions', 'support_tickets')
    """))
    assert fks == {
        ("ai_interactions", "ai_interactions_lead_id_fkey", "leads", "n"),
        ("ai_interactions", "ai_interactions_client_id_fkey", "clients", "n"),
        ("support_tickets", "support_tickets_client_id_fkey", "clients", "c"),
        ("support_tickets", "support_tickets_lead_id_fkey", "leads", "n"),
    }
    checks = dict(_rows(crm, """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE contype = 'c' AND conrelid = 'support_tickets'::regclass
    """))
    assert checks == {"support_tickets_status_check": "CHECK ((status = ANY (ARRAY['Open'::text, "
                      "'In Progress'::text, 'Resolved'::text, 'Escalated'::text])))"}
    vin = _rows(crm, "SELECT indexdef FROM pg_indexes WHERE indexname = 'leads_expr_idx'")
    assert vin == [("CREATE UNIQUE INDEX leads_expr_idx ON public.leads USING btree (((auto_data ->> 'vin'::text)))"
                    " WHERE (auto_data ? 'vin'::text)",)]
    gin = {r[0] for r in _rows(crm, "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gin%'")}
    assert {"leads_custom_fields_idx", "leads_tags_idx", "clients_custom_fields_idx", "clients_tags_idx"} <= gin


def test_ai_interactions_matches_the_dba_definition(crm: str) -> None:
    columns = _rows(crm, """
        SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid)
        FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
        WHERE attrelid = 'ai_interactions'::regclass AND attnum > 0 ORDER BY attnum
    """)
    assert columns == [
        ("id", "uuid", True, "gen_random_uuid()"),
        ("lead_id", "uuid", False, None),
        ("client_id", "uuid", False, None),
        ("type", "text", False, None),
        ("source", "text", False, None),
        ("content", "text", False, None),
        ("ai_response", "text", False, None),
        ("summary", "text", False, None),
        ("model_used", "text", False, None),
        ("temperature", "double precision", False, None),
        ("metadata", "jsonb", False, None),
        ("created_at", "timestamp with time zone", False, "now()"),
    ]


GOOD_VEHICLE = {"vin": "1HGCM82633A004352", "year": 2004, "make": "Honda", "usage": "commute"}


@pytest.mark.parametrize(
    ("column", "value", "accepted"),
    [
        ("auto_data", GOOD_VEHICLE, True),
        ("auto_data", {**GOOD_VEHICLE, "year": "2004"}, False),  # wrong JSON type
        ("auto_data", {**GOOD_VEHICLE, "year": 2004.5}, False),  # integer expected
        ("auto_data", [GOOD_VEHICLE], False),  # not an object
        ("additional_insureds", [{"name": "Ann", "relationship": "spouse"}], True),
        ("additional_insureds", [{"name": "Ann"}], False),  # strict: required key missing
        ("additional_insureds", [{"name": "Ann", "relationship": "cousin"}], False),  # strict: enum
        ("additional_insureds", [{"name": "Ann", "relationship": "spouse", "shoe_size": 9}], False),  # undeclared
        ("additional_insureds", [{"name": "Ann", "relationship": "spouse", "license_number": None}], True),
        ("tags", ["vip", "renewal"], True),
        ("tags", ["vip", 7], False),
        ("custom_fields", {"referral_source": "radio"}, True),
        ("custom_fields", ["not", "an", "object"], False),
    ],
)
def test_postgresql_enforces_the_shapes(crm: str, column: str, value: object, accepted: bool) -> None:
    with psycopg.connect(crm) as conn:
        try:
            conn.execute(f'INSERT INTO leads (full_name, "{column}") VALUES (%s, %s::jsonb)',
                         ("Pat", json.dumps(value)))  # type: ignore[arg-type]
            inserted = True
        except psycopg.errors.CheckViolation:
            inserted = False
    assert inserted is accepted
