"""`enum:` on every text-like column type converges: after apply, plan and drift find nothing, every time.

And a project may not own pgevolve's own schema (where its history lives).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgevolve.cli import app

TYPES = ["text", "varchar(20)", "varchar", "char(12)", "citext"]


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


def write(schema: Path, project: str, table: str) -> None:
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text(project)
    (schema / "tables" / "clients.yaml").write_text(table)


def test_enum_on_every_text_type_converges(db: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    columns = "".join(f"  c{i}: {{ type: \"{t}\", enum: [Individual, Business] }}\n" for i, t in enumerate(TYPES))
    write(schema, "schema: public\nextensions: [citext]\n",
          "table: clients\ncolumns:\n  id: { type: integer, primary_key: true }\n" + columns)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0, out
    for _ in range(2):  # the second run goes through the cached fast path
        code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db)
        assert code == 0, out
        code, out = cli("drift", "--schema-dir", str(schema), "--database-url", db)
        assert code == 0, out
    # A value added to the list: one CHECK replaced, then in sync again.
    write(schema, "schema: public\nextensions: [citext]\n",
          "table: clients\ncolumns:\n  id: { type: integer, primary_key: true }\n"
          + columns.replace("c1: { type: \"varchar(20)\", enum: [Individual, Business] }",
                            "c1: { type: \"varchar(20)\", enum: [Individual, Business, Agency] }"))
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0 and "clients_c1_check" in out and "clients_c0_check" not in out, out
    assert cli("drift", "--schema-dir", str(schema), "--database-url", db)[0] == 0


def test_pgevolve_schema_cannot_be_owned(db: str, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    write(schema, "schema: pgevolve\n", "table: clients\ncolumns:\n  id: { type: integer, primary_key: true }\n")
    for command in (["validate"], ["plan", "--database-url", db], ["apply", "--database-url", db, "--yes"]):
        code, out = cli(*command, "--schema-dir", str(schema))
        assert code == 1, out
        assert "pgevolve.yaml:1:9: error: schema 'pgevolve' is pgevolve's own" in out, out
        assert "DROP" not in out
