"""The pull-request comment (`plan --format markdown --base REF`), through the CLI, on a CRM that holds rows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pgevolve.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=pm@example.com", "-c", "user.name=pm", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository whose HEAD holds the CRM YAML; edits stay in the working tree."""
    repo = tmp_path / "crm"
    repo.mkdir()
    shutil.copytree(ROOT / "schema", repo / "schema")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo / "schema"


@pytest.fixture
def crm(db: str) -> str:
    """The CRM applied, with rows in leads and support_tickets."""
    result = CliRunner().invoke(app, ["apply", "--schema-dir", str(ROOT / "schema"), "--database-url", db, "--yes"])
    assert result.exit_code == 0, result.output
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO leads (full_name, home_data, custom_fields) SELECT 'lead ' || i, "
                     "jsonb_build_object('year_built', 1990), jsonb_build_object('referral_source', 'web') "
                     "FROM generate_series(1, 300) i")
        conn.execute("INSERT INTO support_tickets (status) SELECT 'Open' FROM generate_series(1, 40)")
    return db


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def comment(schema: Path, db: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["plan", "--schema-dir", str(schema), "--database-url", db,
                                      "--format", "markdown", "--base", "HEAD", *extra])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout


HOME = "  security_system:   { type: boolean }\n"


def test_a_shape_property_without_ddl_is_named_with_its_columns(project: Path, crm: str) -> None:
    edit(project / "shapes" / "home.yaml", HOME,
         HOME + "  roof_type:         { type: string, enum: [gable, hip, flat] }\n")
    code, text = comment(project, crm)
    assert code == 0
    assert text == (
        "### pgevolve plan\n\n"
        "**What changes for the data** (the YAML against `HEAD`)\n\n"
        "- Shape `home` (used by `clients.home_data`, `leads.home_data`) gains `roof_type`: a string, one of gable, "
        "hip, flat.\n\n"
        "**No DDL**: the database already matches. PostgreSQL needs no change; the generated JSON Schemas and data "
        "dictionary (`pgevolve generate`) carry it to the application.\n")


def test_an_indexed_property_sizes_the_risk_by_rows(project: Path, crm: str) -> None:
    edit(project / "shapes" / "home.yaml", HOME,
         HOME + "  roof_type:         { type: string, enum: [gable, hip, flat], index: true }\n")
    code, text = comment(project, crm)
    assert code == 2
    assert "gains `roof_type`: a string, one of gable, hip, flat; indexed." in text
    assert "- `leads` (300 rows, " in text
    assert ("the index on `(home_data ->> 'roof_type'::text)` (`leads_home_data_roof_type_idx`): built "
            "CONCURRENTLY (reads every row; reads and writes go on)") in text
    # The shape CHECK of an existing column is validated against existing rows: that can fail on leads,
    # not on clients, which holds no row.
    assert "> 1 step can fail on existing rows" in text
    clients = next(line for line in text.splitlines() if line.startswith("- `clients` (0 rows, "))
    assert "checks every row" in clients and "can fail" not in clients
    assert text.index("What changes for the data") < text.index("**Risk**") < text.index("<details>")


def test_a_one_field_pull_request_gives_a_short_comment(project: Path, crm: str) -> None:
    edit(project / "tables" / "leads.yaml", "  phone:               { type: text }\n",
         "  phone:               { type: text }\n"
         "  preferred_contact_time: { type: text, description: When the lead prefers to be called. }\n")
    code, text = comment(project, crm)
    assert code == 2
    assert "- `leads` gains `preferred_contact_time` (text, optional) — When the lead prefers to be called.\n" in text
    assert "- `leads` (300 rows, " in text and "catalog-only changes, instant" in text
    assert "can fail" not in text
    before_sql = text[:text.index("<details>")]
    assert len(before_sql.splitlines()) <= 12, before_sql


def test_checks_on_columns_added_in_the_plan_are_not_counted_as_failing(project: Path, crm: str) -> None:
    edit(project / "tables" / "leads.yaml", "  phone:               { type: text }\n",
         "  phone:               { type: text }\n"
         "  priority:            { type: text, enum: [low, normal, high] }\n"
         "  score:               { type: integer, check: \"score BETWEEN 0 AND 100\" }\n")
    edit(project / "tables" / "support_tickets.yaml", "enum: [Open, In Progress, Resolved, Escalated]",
         "enum: [Open, In Progress, Resolved, Escalated, Waiting on client]")
    code, text = comment(project, crm)
    assert code == 2
    assert "`leads` gains `priority` (text, optional, one of low, normal, high)." in text
    assert "`support_tickets.status` also allows `Waiting on client`." in text
    # The rules on leads' two new columns are validated too, but those columns hold no value yet: only the
    # support_tickets rule, replaced on an existing column, counts.
    assert "> 1 step can fail on existing rows" in text
    leads = next(line for line in text.splitlines() if line.startswith("- `leads` ("))
    tickets = next(line for line in text.splitlines() if line.startswith("- `support_tickets` ("))
    assert "the rule on `priority` (`leads_priority_check`): checks every row" in leads
    assert "can fail" not in leads and "**can fail on existing rows**" in tickets


def test_a_name_postgresql_made_up_is_explained_by_what_it_indexes(project: Path, crm: str) -> None:
    edit(project / "tables" / "leads.yaml", "    where: \"auto_data ? 'vin'\"\n",
         "    where: \"auto_data ? 'vin'\"\n  - expression: \"lower(email)\"\n")
    code, text = comment(project, crm)
    assert code == 2
    assert "`leads` gets an index on `lower(email)`" in text
    assert "the index on `lower(email)` (`leads_lower_idx`)" in text


def test_a_promotion_pull_request(project: Path, crm: str) -> None:
    result = CliRunner().invoke(app, ["promote", "leads.custom_fields.referral_source", "--index",
                                      "--schema-dir", str(project), "--database-url", crm])
    assert result.exit_code == 0, result.output
    code, text = comment(project, crm)
    assert code == 2
    assert ("- `leads` gains `referral_source` (text, optional, filled from `custom_fields.referral_source`). "
            "Existing rows get it from the JSON key in short batches") in text
    assert "`leads.referral_source` from `custom_fields.referral_source`: filled in short batches" in text
    assert "can fail" not in text  # `->>` gives text: a text column takes every value


def test_a_promotion_that_converts_can_fail(project: Path, crm: str) -> None:
    result = CliRunner().invoke(app, ["promote", "leads.custom_fields.referral_source", "--type", "integer",
                                      "--schema-dir", str(project), "--database-url", crm])
    assert result.exit_code == 0, result.output
    code, text = comment(project, crm)
    assert code == 2
    assert "filled in short batches, each its own transaction (writers wait at most one batch), **can fail on " \
           "existing rows**" in text


def test_without_base_the_plan_changes_are_listed_and_out_writes_markdown(project: Path, crm: str,
                                                                           tmp_path: Path) -> None:
    edit(project / "tables" / "leads.yaml", "  phone:               { type: text }\n", "")
    out = tmp_path / "pr.md"
    result = CliRunner().invoke(app, ["plan", "--schema-dir", str(project), "--database-url", crm,
                                      "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 2
    written = out.read_text()
    assert written == result.stdout and written.startswith("### pgevolve plan")
    assert "**What changes** (the database against the YAML)" in written
    assert "- Deletes column `phone` from `leads` and its data." in written
    assert "> [!CAUTION]" in written and "needs `--allow-destructive`" in written


def test_a_bad_base_ref_is_an_error_not_a_traceback(project: Path, crm: str) -> None:
    result = CliRunner().invoke(app, ["plan", "--schema-dir", str(project), "--database-url", crm,
                                      "--format", "markdown", "--base", "no-such-branch"])
    assert result.exit_code == 1
    assert "error: git rev-parse" in result.output and "Traceback" not in result.output
