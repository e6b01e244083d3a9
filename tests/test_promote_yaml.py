"""promote, the YAML side: only the expected lines change, comments and style stay."""

from __future__ import annotations

import difflib
import shutil
import sys
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, DatabaseFactory
from pgevolve.jsonb.commands import parse_promote_target, promote_command
from pgevolve.jsonb.promote_yaml import (
    ColumnExists,
    NotAJsonObject,
    PromoteError,
    UnknownColumn,
    UnknownTable,
    promote_in_yaml,
)
from pgevolve.source import load_project

sys.path.insert(0, str(ROOT / "bench"))
import seed  # noqa: E402


@pytest.fixture
def crm_schema(tmp_path: Path) -> Path:
    """A copy of the CRM project of schema/."""
    return Path(shutil.copytree(ROOT / "schema", tmp_path / "schema"))


def changes(before: str, after: str) -> list[tuple[str, int, list[str]]]:
    """(operation, line in `before`, new lines) for every change; only inserts are expected."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(keepends=True), b=after.splitlines(keepends=True),
                                      autojunk=False)
    b = after.splitlines(keepends=True)
    return [(op, i1, b[j1:j2]) for op, i1, _, j1, j2 in matcher.get_opcodes() if op != "equal"]


def test_crm_leads_whole_file(crm_schema: Path) -> None:
    path = crm_schema / "tables" / "leads.yaml"
    before = path.read_text()
    edit = promote_in_yaml(crm_schema, "leads", "custom_fields", "referral_source", name=None, sql_type=None,
                           index=True, drop_key=True)
    after = path.read_text()
    assert edit.after == after and edit.before == before and edit.written
    lines = before.splitlines(keepends=True)
    custom_fields = lines.index("  custom_fields:       { type: custom_fields }\n")
    assert changes(before, after) == [
        ("insert", custom_fields + 1,
         ["  referral_source:     { type: text, promoted_from: custom_fields.referral_source, drop_key: true }\n"]),
        ("insert", len(lines), ["  - columns: [referral_source]\n"]),
    ]
    assert (edit.column, edit.sql_type, edit.promoted_from, edit.index_added) == (
        "referral_source", "text", "custom_fields.referral_source", True)
    assert edit.type_source == "default (no --type and no database to look at)"
    diff = edit.diff.splitlines()
    assert [line for line in diff if line.startswith("-") and not line.startswith("---")] == []
    assert [line for line in diff if line.startswith("+") and not line.startswith("+++")] == [
        "+  referral_source:     { type: text, promoted_from: custom_fields.referral_source, drop_key: true }",
        "+  - columns: [referral_source]",
    ]


def test_the_edited_project_still_validates(crm_schema: Path) -> None:
    promote_in_yaml(crm_schema, "leads", "custom_fields", "referral_source", index=True)
    promote_in_yaml(crm_schema, "clients", "auto_data", "year", name="vehicle_year")
    project = load_project(crm_schema)
    leads = next(t for t in project.tables if t.name == "leads")
    column = leads.column("referral_source")
    assert column is not None and column.promotion == ("custom_fields", "referral_source")
    assert leads.column_names.index("referral_source") == leads.column_names.index("custom_fields") + 1
    clients = next(t for t in project.tables if t.name == "clients")
    year = clients.column("vehicle_year")
    assert year is not None and year.type == "bigint"  # the shape says integer


BLOCK_STYLE = """\
# The people we insure.
table: people   # a comment on the table line
columns:
  id:
    type: bigint
    primary_key: true

  # free-form answers of the intake form
  answers:
    type: jsonb
    # kept until the product settles
    description: Intake answers.
  # when the row was made
  created_at:
    type: timestamptz
checks:
  - { expression: "id > 0" }
# end of file
"""


def test_block_style_with_comments(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "people.yaml"
    path.write_text(BLOCK_STYLE)
    edit = promote_in_yaml(tmp_path, "people", "answers", "smoker", name="is_smoker", sql_type="boolean",
                           index=True, drop_key=False)
    assert path.read_text() == BLOCK_STYLE.replace(
        "    description: Intake answers.\n",
        "    description: Intake answers.\n"
        "  is_smoker:\n"
        "    type: boolean\n"
        "    promoted_from: answers.smoker\n",
    ) + "indexes:\n  - columns: [is_smoker]\n"
    assert edit.type_source == "--type"


def test_compact_flow_style_empty_indexes_and_crlf(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "t.yaml"
    text = ("table: t\r\ncolumns:\r\n  id: {type: integer}\r\n  data: {type: jsonb}\r\n"
            "indexes: []   # none yet\r\nchecks: []\r\n")
    path.write_bytes(text.encode())
    promote_in_yaml(tmp_path, "t", "data", "amount", sql_type="numeric(12,2)", index=True)
    assert path.read_bytes().decode() == (
        "table: t\r\ncolumns:\r\n  id: {type: integer}\r\n  data: {type: jsonb}\r\n"
        '  amount: {type: "numeric(12,2)", promoted_from: data.amount}\r\n'
        "indexes:   # none yet\r\n  - columns: [amount]\r\nchecks: []\r\n")


def test_flow_items_in_indexes_and_an_existing_index(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "t.yaml"
    text = ("table: t\ncolumns:\n  cf: { type: custom_fields }\nindexes:\n- { columns: [cf], using: gin }\n"
            "- { columns: [code] }\n")
    path.write_text(text)
    promote_in_yaml(tmp_path, "t", "cf", "score", sql_type="integer", index=True)
    assert path.read_text() == (
        "table: t\ncolumns:\n  cf: { type: custom_fields }\n"
        "  score: { type: integer, promoted_from: cf.score }\n"
        "indexes:\n- { columns: [cf], using: gin }\n- { columns: [code] }\n- { columns: [score] }\n")
    edit = promote_in_yaml(tmp_path, "t", "cf", "code", name="code", index=True, dry_run=True)
    assert edit.index_existed and not edit.index_added and not edit.written
    assert "- { columns: [code] }\n- { columns: [score] }\n" in edit.after  # no second index on code


@pytest.mark.parametrize(("table", "column", "key", "name", "error", "message"), [
    ("leadz", "custom_fields", "a", None, UnknownTable, "defines table 'leadz'; did you mean 'leads'?"),
    ("leads", "custom_field", "a", None, UnknownColumn, "no column 'custom_field'; did you mean 'custom_fields'?"),
    ("leads", "tags", "a", None, NotAJsonObject, "column 'tags' is a JSON array, not a JSON object"),
    ("leads", "communications", "a", None, NotAJsonObject, "column 'communications' is a JSON array"),
    ("leads", "full_name", "a", None, NotAJsonObject, "column 'full_name' is of type text"),
    ("leads", "custom_fields", "x", "email", ColumnExists, "already has a column 'email'"),
    ("leads", "custom_fields", "household.size", None, PromoteError, "only top-level keys"),
    ("leads", "auto_data", "colour", None, PromoteError, "shape 'vehicle' of column 'auto_data' has no property"),
    ("leads", "custom_fields", "k", "x" * 64, PromoteError, "longer than PostgreSQL's 63 bytes"),
])
def test_errors_leave_the_file_alone(crm_schema: Path, table: str, column: str, key: str, name: str | None,
                                     error: type[PromoteError], message: str) -> None:
    before = {p: p.read_text() for p in (crm_schema / "tables").iterdir()}
    with pytest.raises(error, match=message.replace("(", r"\(").replace("?", r"\?")):
        promote_in_yaml(crm_schema, table, column, key, name=name, index=True)
    assert {p: p.read_text() for p in (crm_schema / "tables").iterdir()} == before


def test_promote_target() -> None:
    assert parse_promote_target("leads.custom_fields.referral_source") == ("leads", "custom_fields", "referral_source")
    with pytest.raises(PromoteError, match="TABLE.COLUMN.KEY"):
        parse_promote_target("leads.custom_fields")


def test_promote_command_reads_the_type_from_the_database(crm_schema: Path, databases: DatabaseFactory,
                                                         request: pytest.FixtureRequest) -> None:
    dsn = databases.create((ROOT / "generated" / "schema.sql").read_text())
    seed.seed_crm(dsn, 500, seed=4)
    text, code = promote_command("leads.custom_fields.budget", index=True, schema_dir=crm_schema, database_url=dsn)
    assert code == 0
    assert "  budget:              { type: numeric, promoted_from: custom_fields.budget }" in text
    assert "type from database: number in 100% of" in text
    assert "build the index concurrently" in text
    assert "Next: `pgevolve generate`" in text
    # No database given (and none in the environment): pgevolve's local server, which has no clients table
    # yet: the note says so, and the type is text.
    request.getfixturevalue("no_database")
    text, code = promote_command("clients.custom_fields.referral_source", schema_dir=crm_schema, dry_run=True)
    assert "{ type: text, promoted_from: custom_fields.referral_source }" in text and "would add" in text
    assert "note: type not read from postgresql://postgres@127.0.0.1:" in text and "pgevolve's local" in text
    # A database that lacks the key: the type is not guessed from nothing.
    text, _ = promote_command("clients.custom_fields.score", schema_dir=crm_schema, database_url=dsn, dry_run=True)
    assert "holds no 'score' in " in text and "(from --database-url) yet" in text and "type: text" in text
    with psycopg.connect(dsn) as conn:  # the database itself is never changed by promote
        assert conn.execute("SELECT count(*) FROM information_schema.columns "
                            "WHERE table_name = 'leads' AND column_name = 'budget'").fetchone() == (0,)
