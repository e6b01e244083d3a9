"""Through the CLI: an unnamed index is its definition (never its positional default name), and what
only the database has (an index or a CHECK built by hand) is not dropped without --allow-destructive."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from conftest import cli

pytestmark = pytest.mark.usefixtures("private_cache")

LEADS = """\
table: leads
columns:
  id:            { type: integer, primary_key: true }
  email:         { type: text }
  auto_data:     { type: jsonb }
  custom_fields: { type: jsonb }
indexes:
"""
VIN = """\
  - expression: "auto_data->>'vin'"
    unique: true
    where: "auto_data ? 'vin'"
"""
CAMPAIGN = """\
  - expression: "custom_fields->>'campaign'"
"""


def write(root: Path, text: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(text)
    return schema


def indexes(dsn: str) -> dict[str, tuple[int, str]]:
    """name -> (oid, definition) of every index on leads."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT c.relname, c.oid::int, pg_get_indexdef(c.oid) FROM pg_index i "
                            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'leads'::regclass").fetchall()
    return {name: (oid, definition) for name, oid, definition in rows}


@pytest.fixture
def two_expression_indexes(db: str, tmp_path: Path) -> str:
    schema = write(tmp_path, LEADS + VIN + CAMPAIGN)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO leads SELECT g, 'u' || g || '@x.com', jsonb_build_object('vin', 'VIN' || g), "
                     "jsonb_build_object('campaign', 'c' || (g % 3)) FROM generate_series(1, 30) g")
    assert set(indexes(db)) == {"leads_pkey", "leads_expr_idx", "leads_expr_idx1"}
    return db


def test_removing_the_first_unnamed_index_drops_exactly_it(two_expression_indexes: str, tmp_path: Path) -> None:
    dsn = two_expression_indexes
    before = indexes(dsn)
    schema = write(tmp_path, LEADS + CAMPAIGN)
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 2, out
    assert out.count("\n  1. ") == 1 and "\n  2. " not in out, out  # one step, nothing rebuilt
    assert "Drops unique index `leads_expr_idx` on `leads` (`(auto_data ->> 'vin'::text)`) where " \
           "`(auto_data ? 'vin'::text)`" in out
    assert "Rebuild" not in out and "campaign" not in out
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    assert code == 3 and "--allow-destructive" in out, out
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes", "--allow-destructive")
    assert code == 0, out
    after = indexes(dsn)
    assert set(after) == {"leads_pkey", "leads_expr_idx1"}
    assert after["leads_expr_idx1"] == before["leads_expr_idx1"]  # the same index: same OID, same name
    for command in ("plan", "drift"):
        code, out = cli(command, "--schema-dir", str(schema), "--database-url", dsn)
        assert code == 0, out


def test_an_unnamed_index_added_first_takes_a_free_name(two_expression_indexes: str, tmp_path: Path) -> None:
    dsn = two_expression_indexes
    before = indexes(dsn)
    email = "  - expression: lower(email)\n  - expression: \"email || 'x'\"\n"
    schema = write(tmp_path, LEADS + email + VIN + CAMPAIGN)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    assert code == 0, out
    assert "Drop" not in out and "Rebuild" not in out, out
    after = indexes(dsn)
    for name in ("leads_expr_idx", "leads_expr_idx1"):
        assert after[name] == before[name]
    assert {n for n, (_, d) in after.items() if "email" in d} == {"leads_lower_idx", "leads_expr_idx2"}
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 0, out


HAND_MADE = ("CREATE INDEX leads_email_hand ON leads (email);"
             "ALTER TABLE leads ADD CONSTRAINT leads_email_hand_check CHECK (email LIKE '%@%');")


def test_an_index_and_a_check_built_by_hand_are_not_dropped_silently(db: str, tmp_path: Path) -> None:
    schema = write(tmp_path, LEADS + CAMPAIGN)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute(HAND_MADE)
        conn.execute("INSERT INTO leads (id, email) VALUES (1, 'a@b.c')")
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db)
    assert code == 2
    assert "[weakens] Drops index `leads_email_hand` on `leads` (`email`)" in out
    assert "[weakens] Removes rule `leads_email_hand_check` from `leads`" in out
    assert "Only the database has this index" in out and "queries that use it scan the table" in out
    assert "Only the database has this CHECK" in out and "rows it refuses get in" in out
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db, "--format", "json")
    data = json.JSONDecoder().raw_decode(out[out.index("{"):])[0]
    assert data["summary"] == {"weakens": 2} and data["highest_hazard"] == "weakens"
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db, "--format", "markdown")
    assert "drop an index or constraint that only the database has (`weakens`)" in out
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 3, out
    assert "drops indexes or constraints that only the database has" in out and "--allow-destructive" in out
    assert "leads_email_hand" in indexes(db)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes", "--allow-destructive")
    assert code == 0, out
    assert "leads_email_hand" not in indexes(db)
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO leads (id, email) VALUES (2, 'no at sign')")  # the CHECK is gone, as allowed
