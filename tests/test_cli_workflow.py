"""The DBA's and the product manager's workflow on the CRM schema, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from conftest import cli
from pgevolve.cli import app

pytestmark = pytest.mark.usefixtures("private_cache")
SCHEMA = Path(__file__).resolve().parent.parent / "schema"



def cli_stdout(*args: str) -> tuple[int, str]:
    """Exit code and standard output alone (the notes on stderr stay out of JSON)."""
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout



@pytest.fixture
def crm(db: str) -> str:
    code, out = cli("apply", "--schema-dir", str(SCHEMA), "--database-url", db, "--yes")
    assert code == 0, out
    return db


def test_full_plan_apply_then_in_sync_then_drift(db: str) -> None:
    code, out = cli("plan", "--schema-dir", str(SCHEMA), "--database-url", db)
    assert code == 2
    assert 'CREATE TABLE "public"."ai_interactions"' in out and "67 steps" in out
    assert cli("apply", "--schema-dir", str(SCHEMA), "--database-url", db, "--yes")[0] == 0
    code, out = cli("plan", "--schema-dir", str(SCHEMA), "--database-url", db)
    assert code == 0 and "No changes." in out
    assert cli("drift", "--schema-dir", str(SCHEMA), "--database-url", db)[0] == 0

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE leads ALTER COLUMN full_name DROP NOT NULL")
    code, out = cli("drift", "--schema-dir", str(SCHEMA), "--database-url", db)
    assert code == 2
    assert "column `leads.full_name`: nullable is true in the database, false in the YAML" in out
    assert "True" not in out and "False" not in out
    code, out = cli_stdout("drift", "--schema-dir", str(SCHEMA), "--database-url", db, "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert report["in_sync"] is False and report["strict"] is False
    assert report["differences"] == [{
        "kind": "column", "object": "leads.full_name", "property": "nullable", "live": True, "yaml": False,
        "managed": True, "text": "column `leads.full_name`: nullable is true in the database, false in the YAML"}]


def test_yaml_edits_plan_exactly_those_changes(crm: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    vehicle = schema / "shapes" / "vehicle.yaml"
    vehicle.write_text(vehicle.read_text().replace(
        "  make:         { type: string, maxLength: 60 }",
        "  make:         { type: string, maxLength: 60, index: true }"))
    leads = schema / "tables" / "leads.yaml"
    text = leads.read_text().replace("  phone:               { type: text }",
                                     "  mobile_phone:        { type: text, renamed_from: phone }")
    leads.write_text(text.replace("  - columns: [client_id]\n",
                                  "  - columns: [client_id]\n  - columns: [tags]\n    using: gin\n"
                                  "    opclass: jsonb_path_ops\n    name: leads_tags_path_idx\n"))
    code, out = cli_stdout("plan", "--schema-dir", str(schema), "--database-url", crm, "--format", "json")
    assert code == 2
    steps = [(s["kind"], s["object"], s["hazard"]) for s in json.loads(out)["steps"]]
    assert steps == [
        ("rename_column", "leads.mobile_phone", "locks"),
        # an indexed property's type is checked under enforce: types
        ("add_check_not_valid", "clients.clients_auto_data_make_shape", "safe"),
        ("add_check_not_valid", "leads.leads_auto_data_make_shape", "safe"),
        ("create_index_concurrently", "clients_auto_data_make_idx", "safe"),
        ("create_index_concurrently", "leads_auto_data_make_idx", "safe"),
        ("create_index_concurrently", "leads_tags_path_idx", "safe"),
        ("validate_constraint", "clients.clients_auto_data_make_shape", "data"),
        ("validate_constraint", "leads.leads_auto_data_make_shape", "data"),
    ]
    assert cli("apply", "--schema-dir", str(schema), "--database-url", crm, "--yes")[0] == 0
    assert cli("plan", "--schema-dir", str(schema), "--database-url", crm)[0] == 0


def test_markdown_plan_is_a_readable_pr_comment(crm: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    home = schema / "shapes" / "home.yaml"
    home.write_text(home.read_text().replace("  has_pool:", "  roof_type:         { type: string }\n  has_pool:"))
    leads = schema / "tables" / "leads.yaml"
    leads.write_text(leads.read_text().replace("  source:", "  referral_code:       { type: text }\n  source:"))
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", crm, "--format", "markdown")
    assert code == 2
    assert "Adds column `referral_code` to `leads`" in out
    assert "```sql" in out


def test_password_never_printed(tmp_path: Path) -> None:
    code, out = cli("plan", "--schema-dir", str(SCHEMA), "--database-url",
                    "postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere")
    assert code == 1
    assert "s3cret-pw" not in out and "***" in out


def test_sql_script_for_an_owned_schema_runs_in_a_plain_psql_session(db: str, tmp_path: Path) -> None:
    """Types and defaults print unqualified under the owned schema's search_path: the script sets it."""
    from test_render import run_psql

    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: crm\nenums:\n  contact_method: [email, phone]\n")
    (schema / "tables" / "leads.yaml").write_text(
        "table: leads\ncolumns:\n  id: { type: integer, primary_key: true }\n"
        "  via: { type: contact_method, default: \"'email'\" }\n")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA crm")
    code, script = cli_stdout("plan", "--schema-dir", str(schema), "--database-url", db, "--format", "sql")
    assert code == 2, cli("plan", "--schema-dir", str(schema), "--database-url", db)
    assert "SET search_path = \"crm\";" in script
    result = run_psql(db, script, tmp_path)  # psql's own search_path: "$user", public
    assert result.returncode == 0, result.stderr
    code, out = cli_stdout("plan", "--schema-dir", str(schema), "--database-url", db)
    assert (code, out) == (0, "No changes.\n")


def test_an_unlisted_extension_is_left_alone_and_named(db: str, tmp_path: Path) -> None:
    """pg_stat_statements and the like are the DBA's: never dropped, reported, and the no-op fast path holds."""
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_trgm")
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY)")
    for _ in range(2):  # the second run takes the cached fast path
        result = CliRunner().invoke(app, ["plan", "--schema-dir", str(schema), "--database-url", db])
        assert (result.exit_code, result.stdout) == (0, "No changes.\n")
        left_alone = "not managed by pgevolve (left alone): extension pg_trgm (not listed in pgevolve.yaml)\n"
        assert left_alone in result.stderr
    code, out = cli_stdout("drift", "--schema-dir", str(schema), "--database-url", db)
    assert code == 0, out
