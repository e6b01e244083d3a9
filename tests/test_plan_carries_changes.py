"""The step carries its change and pre-checks; a plan saved as JSON comes back whole, apply needs nothing else."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from sample_models import RICH, db, table
from test_ddl import evolved
from typer.testing import CliRunner

from pgevolve.changes import AddColumn, AlterColumn
from pgevolve.cli import app
from pgevolve.diff import diff
from pgevolve.model import Column, Database
from pgevolve.plan.planner import make_plan
from pgevolve.plan.prechecks import prechecks_for
from pgevolve.plan.steps import Hazard, Plan


def through_json(plan: Plan) -> Plan:
    return Plan.from_dict(json.loads(json.dumps(plan.to_dict())))


@pytest.mark.parametrize("actual", [Database(), RICH], ids=["from_scratch", "evolved"])
def test_every_change_comes_back_from_json(actual: Database) -> None:
    desired, hints = evolved() if actual is RICH else (RICH, None)
    plan = make_plan(actual, desired, hints)
    again = through_json(plan)
    assert again == plan
    assert [s.change for s in again.steps] == [s.change for s in plan.steps]
    assert all(s.change is not None for s in plan.steps)
    changes = plan.to_dict()["changes"]
    assert len(changes) == len({id(s.change) for s in plan.steps})  # each change written once


def test_the_pre_checks_travel_with_the_step_that_rows_can_break() -> None:
    nullable = Column(name="c", type="text")
    actual, desired = db(table("t", nullable)), db(table("t", replace(nullable, nullable=False)))
    plan = make_plan(actual, desired)
    checked = [s for s in plan.steps if s.prechecks]
    assert [(s.kind, s.hazard) for s in checked] == [("validate_constraint", Hazard.DATA)]
    assert list(plan.prechecks) == prechecks_for(diff(actual, desired, None), actual)  # type: ignore[arg-type]
    assert isinstance(plan.steps[0].change, AlterColumn)
    assert through_json(plan).prechecks == plan.prechecks


def test_a_step_without_pre_checks_still_names_its_change() -> None:
    plan = make_plan(db(table("t")), db(table("t", Column(name="c", type="integer"))))
    assert plan.steps[0].change == AddColumn(table="t", column=Column(name="c", type="integer"))
    assert plan.prechecks == ()


def test_a_saved_plan_applies_its_own_pre_checks(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """plan.json holds the pre-checks: apply refuses on rows without the YAML, the catalog or the diff."""
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
                                              "  email: { type: text }\n")
    runner = CliRunner()
    assert runner.invoke(app, ["apply", "--schema-dir", str(schema), "--database-url", db, "--yes"]).exit_code == 0
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO t VALUES (1, NULL), (2, 'b')")
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
                                              "  email: { type: text, nullable: false }\n")
    planfile = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "--schema-dir", str(schema), "--database-url", db, "--out", str(planfile)])
    assert result.exit_code == 2, result.output
    saved = json.loads(planfile.read_text())
    assert saved["format"] == 2 and {"actual", "desired", "hints"}.isdisjoint(saved)
    assert any(step.get("prechecks") for step in saved["plan"]["steps"])
    result = runner.invoke(app, ["apply", str(planfile), "--database-url", db, "--schema-dir", str(tmp_path / "none")])
    assert result.exit_code == 3, result.output
    assert "1 rows where email is NULL" in result.output and "(e.g. 1)" in result.output, result.output


def test_a_plan_file_of_the_earlier_format_is_refused_clearly(tmp_path: Path) -> None:
    planfile = tmp_path / "old.json"
    planfile.write_text(json.dumps({"format": 1, "plan": {"steps": []}}))
    result = CliRunner().invoke(app, ["apply", str(planfile), "--database-url", "postgresql://nobody@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "plan file format 1, this pgevolve reads 2: plan again" in result.output, result.output
