"""`pgevolve drift`: differences as facts, structured JSON, and with --strict what was changed by hand."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pgevolve.cli import app

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def crm(db: str) -> str:
    result = CliRunner().invoke(app, ["apply", "--schema-dir", str(SCHEMA), "--database-url", db, "--yes"])
    assert result.exit_code == 0, result.output
    return db


def drift(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["drift", "--schema-dir", str(SCHEMA), "--database-url", db, *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout


def run(db: str, *statements: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def test_a_fresh_build_has_no_drift_even_strict(crm: str) -> None:
    assert drift(crm) == (0, "No drift: the database matches the YAML.\n")
    assert drift(crm, "--strict")[0] == 0


def test_differences_are_facts_with_values_as_sql_and_yaml_spell_them(crm: str) -> None:
    run(crm, "ALTER TABLE leads ADD COLUMN fax text", "ALTER TABLE leads DROP COLUMN phone",
        "ALTER TABLE leads ALTER COLUMN full_name DROP NOT NULL", "DROP INDEX leads_client_id_idx",
        "ALTER TABLE leads ALTER COLUMN source SET DEFAULT 'web'")
    code, out = drift(crm)
    assert code == 2
    assert out.splitlines()[0] == "Drift: 5 differences between the database and the YAML:"
    for fact in ("column `leads.fax`: in the database, not in the YAML (`text`)",
                 "column `leads.phone`: in the YAML, not in the database (`text`)",
                 "column `leads.full_name`: nullable is true in the database, false in the YAML",
                 "column `leads.source`: default is `'web'::text` in the database, none in the YAML",
                 "index `leads_client_id_idx` on `leads`: in the YAML, not in the database (`btree (client_id)`)"):
        assert f"  - {fact}\n" in out, out
    assert "True" not in out and "False" not in out and "Adds" not in out


def test_drift_json_is_structured(crm: str) -> None:
    run(crm, "ALTER TABLE leads ALTER COLUMN email TYPE varchar(200)")
    code, out = drift(crm, "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert report["in_sync"] is False
    assert [{k: d[k] for k in ("kind", "object", "property", "live", "yaml")} for d in report["differences"]] == [
        {"kind": "column", "object": "leads.email", "property": "type", "live": "character varying(200)",
         "yaml": "text"}]


def test_strict_names_a_view_made_by_hand(crm: str) -> None:
    run(crm, "CREATE VIEW lead_emails AS SELECT id, email FROM leads")
    assert drift(crm)[0] == 0  # not what the format describes: left alone, exit 0 without --strict
    code, out = drift(crm, "--strict")
    assert code == 2
    assert "view `lead_emails`: in the database, not in the YAML; made by hand, left alone by pgevolve" in out


HAND_CHANGES = [
    ("GRANT SELECT, UPDATE ON leads TO {role}",
     "grants to {role} of table `leads`: `SELECT, UPDATE` in the database; a fresh build from the YAML has none"),
    ("GRANT SELECT (email) ON clients TO {role}",
     "grants to {role} of column `clients.email`: `SELECT` in the database"),
    ("ALTER TABLE users OWNER TO {role}",
     "owner of table `users`: `{role}` in the database; a fresh build from the YAML has `"),
    ("ALTER TABLE ai_interactions SET UNLOGGED",
     "persistence of table `ai_interactions`: `UNLOGGED` in the database; a fresh build from the YAML has `LOGGED`"),
    # fillfactor and the autovacuum parameters are the YAML's (storage:): plain drift reports them.
    ("ALTER TABLE leads SET (user_catalog_table = true)",
     "storage parameter user_catalog_table of table `leads`: `true` in the database"),
    ("ALTER TABLE leads ALTER COLUMN email SET STATISTICS 500",
     "statistics target of column `leads.email`: `500` in the database"),
    ("ALTER TABLE leads ALTER COLUMN source SET (n_distinct = 100)",
     "option n_distinct of column `leads.source`: `100` in the database"),
    ("ALTER TABLE leads ALTER COLUMN phone SET STORAGE EXTERNAL",
     "storage of column `leads.phone`: `EXTERNAL` in the database; a fresh build from the YAML has `EXTENDED`"),
    ("ALTER TABLE clients ENABLE ROW LEVEL SECURITY",
     "row level security of table `clients`: `ENABLED` in the database; a fresh build from the YAML has `DISABLED`"),
    ("CREATE POLICY own_clients ON clients USING (true)", "policy `own_clients` on `clients`: in the database"),
    ("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
     "function `touch()`: in the database, not in the YAML"),
]


@pytest.mark.parametrize(("statement", "fact"), HAND_CHANGES, ids=[f[1].split(":")[0] for f in HAND_CHANGES])
def test_strict_sees_each_hand_change(crm: str, statement: str, fact: str) -> None:
    role = f"drift_role_{uuid.uuid4().hex[:8]}"
    run(crm, f"CREATE ROLE {role}")
    try:
        run(crm, statement.format(role=role))
        assert drift(crm)[0] == 0
        code, out = drift(crm, "--strict")
        assert code == 2
        assert fact.format(role=role) in out, out
        code, out = drift(crm, "--strict", "--format", "json")
        hand = [d for d in json.loads(out)["differences"] if not d["managed"]]
        assert hand and all({"kind", "object", "property", "live", "yaml"} <= set(d) for d in hand)
    finally:
        run(crm, f"REASSIGN OWNED BY {role} TO CURRENT_USER", f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_strict_reports_a_trigger_but_not_a_promotions_own(crm: str, tmp_path: Path) -> None:
    run(crm, "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
        "CREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION touch()")
    code, out = drift(crm, "--strict")
    assert code == 2 and "trigger `leads_touch` on `leads`: in the database, not in the YAML" in out
    run(crm, "DROP TRIGGER leads_touch ON leads", "DROP FUNCTION touch()")
    schema = tmp_path / "schema"
    import shutil

    shutil.copytree(SCHEMA, schema)
    result = CliRunner().invoke(app, ["promote", "leads.custom_fields.referral_source", "--type", "text",
                                      "--schema-dir", str(schema)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, ["apply", "--schema-dir", str(schema), "--database-url", crm,
                                    "--yes"]).exit_code == 0
    result = CliRunner().invoke(app, ["drift", "--strict", "--schema-dir", str(schema), "--database-url", crm])
    assert result.exit_code == 0, result.stdout


def test_a_managed_storage_parameter_or_replica_identity_is_plain_drift(crm: str) -> None:
    """Issue 11: fillfactor and REPLICA IDENTITY are the YAML's (storage:, replica_identity:), not hand properties."""
    run(crm, "ALTER TABLE leads SET (fillfactor = 70); ALTER TABLE leads REPLICA IDENTITY FULL")
    code, out = drift(crm)
    assert code == 2, out
    assert "table `leads`: storage parameter fillfactor is `70` in the database, none in the YAML" in out, out
    assert "table `leads`: replica identity is `FULL` in the database, `DEFAULT` in the YAML" in out, out
