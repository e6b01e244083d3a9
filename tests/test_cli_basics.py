"""The CLI's contract: --version, -h, an example in every help, the exit codes, clean metavars, --fail-on, init."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgevolve import __version__
from pgevolve.cli import app

SCHEMA = Path(__file__).resolve().parent.parent / "schema"
COMMANDS = ("validate", "generate", "init", "plan", "drift", "import", "apply", "history", "usage", "promote")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_version() -> None:
    assert cli("--version") == (0, f"pgevolve {__version__}\n")


def test_help_lists_the_exit_codes() -> None:
    code, out = cli("-h")
    assert code == 0
    assert "Exit codes:" in out
    for line in ("0  done; plan and drift: the database matches the YAML",
                 "2  plan and drift: there are changes (not an error",
                 "3  refused: apply"):
        assert line in out
    assert cli("--help")[1] == out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_an_example_and_clean_metavars(command: str) -> None:
    code, out = cli(command, "-h")
    assert code == 0
    assert re.search(r"Examples?:\n\s+pgevolve ", out), out
    assert not re.search(r"<(bool|str|int|float|path|text)>", out), out


def test_a_usage_error_exits_1_not_2() -> None:
    # 2 means "there are changes": a mistyped option in CI must not read as that.
    assert cli("plan", "--no-such-option")[0] == 1
    assert cli("no-such-command")[0] == 1
    code, out = cli("plan", "--fail-on", "destructiv")
    assert code == 1 and "unknown hazard destructiv" in out


def test_plan_fail_on_a_dropped_column(db: str, tmp_path: Path) -> None:
    assert cli("apply", "--schema-dir", str(SCHEMA), "--database-url", db, "--yes")[0] == 0
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    leads = schema / "tables" / "leads.yaml"
    leads.write_text(leads.read_text().replace("  phone:               { type: text }\n", ""))
    plan = ("plan", "--schema-dir", str(schema), "--database-url", db)
    assert cli(*plan)[0] == 2
    assert cli(*plan, "--fail-on", "data,rewrite")[0] == 2
    code, out = cli(*plan, "--fail-on", "destructive")
    assert code == 3 and "--fail-on: the plan has destructive step(s)" in out
    assert cli(*plan, "--fail-on", "blocked, destructive")[0] == 3


def test_apply_counts_in_good_grammar(db: str, tmp_path: Path) -> None:
    assert cli("apply", "--schema-dir", str(SCHEMA), "--database-url", db, "--yes")[0] == 0
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    leads = schema / "tables" / "leads.yaml"
    leads.write_text(leads.read_text().replace("  phone:               { type: text }\n",
                                               "  phone:               { type: text }\n  fax: { type: text }\n"))
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0 and "Applied 1 step (history #" in out


def test_init_scaffolds_a_project_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = cli("init")
    assert code == 0, out
    project = (tmp_path / "schema" / "pgevolve.yaml").read_text()
    table = (tmp_path / "schema" / "tables" / "customers.yaml").read_text()
    assert project.startswith("# yaml-language-server: $schema=../generated/pgevolve.schema.json\n")
    assert table.startswith("# yaml-language-server: $schema=../../generated/pgevolve.schema.json\n")
    assert (tmp_path / "generated" / "pgevolve.schema.json").is_file()
    assert cli("validate")[0] == 0
    assert cli("generate", "--check")[0] == 0
    code, out = cli("init")
    assert code == 1 and "already exists and is not empty" in out
    code, out = cli("init", "db/schema")
    assert code == 0
    assert (tmp_path / "db" / "schema" / "tables" / "customers.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../../generated/pgevolve.schema.json\n")
    assert cli("validate", "--schema-dir", "db/schema")[0] == 0
