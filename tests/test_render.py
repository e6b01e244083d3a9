"""Renderers: text and Markdown as whole strings, JSON round trip, the SQL script run by psql."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import psycopg
from plan_runs import psql, query, run_plan, seed
from sample_models import NEEDS_RICH, RICH, db, evolved, table

from pgevolve import model
from pgevolve.model import Column, Index, IndexKey
from pgevolve.plan.planner import make_plan
from pgevolve.plan.render import render_json, render_markdown, render_sql, render_text
from pgevolve.plan.steps import Plan
from pgevolve.sqltext.ddl import schema_sql

ACTUAL = db(table("leads", Column(name="full_name", type="text"), Column(name="fax", type="text")))
DESIRED = db(table(
    "leads",
    Column(name="full_name", type="text"),
    Column(name="roof_type", type="text"),
    Column(name="rating", type="integer", nullable=False),
    indexes=(Index(name="leads_full_name_idx", keys=(IndexKey(column="full_name"),)),),
))
PLAN = make_plan(ACTUAL, DESIRED)

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str, actual: str) -> str:
    """The expected text from tests/golden/; PGEVOLVE_UPDATE_GOLDEN=1 rewrites it from ``actual``."""
    path = GOLDEN / name
    if os.environ.get("PGEVOLVE_UPDATE_GOLDEN") == "1":
        path.write_text(actual)
    return path.read_text()


def test_text() -> None:
    text = render_text(PLAN, color=False)
    assert text == golden("plan.txt", text)


def test_text_in_color_is_the_same_text_with_ansi_styles() -> None:
    colored = render_text(PLAN, color=True)
    assert "\x1b[" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == render_text(PLAN, color=False)


def test_markdown() -> None:
    markdown = render_markdown(PLAN)
    assert markdown == golden("plan.md", markdown)


def test_empty_plan() -> None:
    empty = make_plan(RICH, RICH)
    assert render_text(empty, color=False) == "No changes.\n"
    assert render_sql(empty) == "-- No changes.\n"
    assert render_markdown(empty) == "### pgevolve plan\n\nNo changes: the database already matches the schema.\n"
    assert json.loads(render_json(empty))["steps"] == []


def test_json_round_trip() -> None:
    desired, hints = evolved()
    for plan in (PLAN, make_plan(RICH, desired, hints), make_plan(model.Database(), RICH)):
        assert Plan.from_dict(plan.to_dict()) == plan
        assert Plan.from_dict(json.loads(render_json(plan))) == plan


def test_json_lists_the_transaction_groups() -> None:
    data = json.loads(render_json(PLAN))
    assert data["summary"] == {"safe": 2, "data": 1, "destructive": 1}
    assert data["highest_hazard"] == "destructive"
    assert data["groups"] == [
        {"transactional": True, "steps": [1, 2]},
        {"transactional": False, "steps": [3]},
        {"transactional": True, "steps": [4]},
    ]


def run_psql(dsn: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "plan.sql"
    path.write_text(script)
    return subprocess.run([psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)],
                          capture_output=True, text=True)


def test_sql_script_runs_with_psql(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(schema_sql(ACTUAL))
    result = run_psql(db, render_sql(PLAN), tmp_path)
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT attname FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attnum > 0 "
                     "AND NOT attisdropped ORDER BY attnum") == [("id",), ("full_name",), ("roof_type",), ("rating",)]
    assert make_plan(DESIRED, DESIRED).is_empty


@NEEDS_RICH
def test_sql_script_of_an_evolution_runs_with_psql_on_a_database_with_rows(db: str, tmp_path: Path) -> None:
    run_plan(db, make_plan(model.Database(), RICH))
    seed(db)
    desired, hints = evolved()
    result = run_psql(db, render_sql(make_plan(RICH, desired, hints)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == [(0,)]


def test_sql_script_stops_at_the_first_error(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(schema_sql(ACTUAL))
        conn.execute("INSERT INTO leads (id, full_name) VALUES (1, 'Ann')")
    result = run_psql(db, render_sql(PLAN), tmp_path)  # ADD COLUMN rating NOT NULL fails on the row
    assert result.returncode != 0
    assert query(db, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attname = 'roof_type'"
                 ) == [(0,)]  # its transaction was rolled back
