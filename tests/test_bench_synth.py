"""The benchmark's synthetic schema: its YAML and its hand-written SQL describe the same database."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT, DatabaseFactory
from pgevolve.pipeline import plan_against
from pgevolve.plan.render import render_text
from pgevolve.server.connect import Target

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


@pytest.mark.needs_extensions("uuid-ossp")  # synth.py's ids
def test_yaml_plan_against_the_sql_is_empty(databases: DatabaseFactory, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))
    schema = synth.write_project(5, tmp_path)
    live = databases.create(synth.render_sql(5))
    planned = plan_against(schema, Target(live, "test"))
    assert planned.plan.is_empty, render_text(planned.plan, color=False)
    assert len(planned.actual.tables) == 5
    assert sum(len(t.foreign_keys) for t in planned.actual.tables) >= 4
