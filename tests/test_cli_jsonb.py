"""`promote` and `usage` through the CLI: the commands, flags and exit codes users script against."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from pgevolve.cli import app

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


def test_promote_edits_only_the_needed_lines(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    before = (schema / "tables" / "leads.yaml").read_text().splitlines()
    result = CliRunner().invoke(app, ["promote", "leads.custom_fields.referral_source", "--index",
                                      "--schema-dir", str(schema)])
    assert result.exit_code == 0, result.output
    after = (schema / "tables" / "leads.yaml").read_text().splitlines()
    added = [line for line in after if line not in before]
    assert added == ["  referral_source:     { type: text, promoted_from: custom_fields.referral_source }",
                     "  - columns: [referral_source]"]
    assert [line for line in before if line not in after] == []
    assert CliRunner().invoke(app, ["validate", "--schema-dir", str(schema)]).exit_code == 0


def test_promote_unknown_table_is_a_clean_error(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    result = CliRunner().invoke(app, ["promote", "ledas.custom_fields.x", "--schema-dir", str(schema)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "ledas" in result.output


def test_usage_json_reports_keys(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE leads (id serial PRIMARY KEY, custom_fields jsonb NOT NULL DEFAULT '{}')")
        conn.execute("INSERT INTO leads (custom_fields) SELECT jsonb_build_object('referral_source', 'web', "
                     "'budget', g) FROM generate_series(1, 500) g")
    result = CliRunner().invoke(app, ["usage", "leads", "--database-url", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "referral_source" in json.dumps(report)
