"""Golden cases as data: tests/cases/<area>/<case>/{before.sql, schema/, plan.txt}.

Each case: load before.sql into a fresh database, plan to the YAML, compare the
text plan with plan.txt, apply it, and check the two oracles:
1. a new plan against the migrated database is empty;
2. the migrated database's catalog equals that of a database built fresh from
   the same YAML.

A case without `schema/pgevolve.yaml` gets `schema: public`. `prerequisites.sql` beside `schema/`, when
present, creates the objects the YAML refers to but does not create (a table of an external schema) in the
fresh database of oracle 2, as they would exist on any real target. Set
PGEVOLVE_UPDATE_GOLDENS=1 to rewrite plan.txt files from the current output.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import DatabaseFactory
from oracles import same_catalog
from pgevolve.apply.deploy import Deployment, DeployOptions, deploy
from pgevolve.apply.run import ApplyOptions, execute_plan
from pgevolve.errors import Refused
from pgevolve.pipeline import Planned, plan_against, read_database
from pgevolve.plan.render import render_text
from pgevolve.server.connect import Target

pytestmark = pytest.mark.usefixtures("private_cache")
CASES = Path(__file__).parent / "cases"
UPDATE = os.environ.get("PGEVOLVE_UPDATE_GOLDENS") == "1"


def _case_dirs() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("*/*/schema"))


def _schema_dir(case: Path, tmp_path: Path) -> Path:
    schema_dir = tmp_path / "schema"
    shutil.copytree(case / "schema", schema_dir)
    project = schema_dir / "pgevolve.yaml"
    if not project.exists():
        project.write_text("schema: public\n")
    return schema_dir



@pytest.mark.parametrize("case", _case_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_case(case: Path, databases: DatabaseFactory, tmp_path: Path) -> None:
    schema_dir = _schema_dir(case, tmp_path)
    before = case / "before.sql"
    migrated = databases.create(before.read_text() if before.exists() else None)

    planned = plan_against(schema_dir, Target(migrated, "test"))
    text = render_text(planned.plan, color=False)
    expected_file = case / "plan.txt"
    if UPDATE or not expected_file.exists():
        expected_file.write_text(text)
    assert text == expected_file.read_text()
    if planned.plan.blockers:
        _assert_refused(planned, migrated)
        return

    options = ApplyOptions(search_path=planned.desired.schema)
    execute_plan(migrated, planned.plan, options)
    again = plan_against(schema_dir, Target(migrated, "test"))
    assert again.plan.is_empty, render_text(again.plan, color=False)

    prerequisites = case / "prerequisites.sql"
    fresh = databases.create(prerequisites.read_text() if prerequisites.exists() else None)
    execute_plan(fresh, plan_against(schema_dir, Target(fresh, "test")).plan, options)
    for schema in planned.schemas:  # every owned schema
        assert same_catalog(read_database(migrated, schema)[0], read_database(fresh, schema)[0]), schema


def _assert_refused(planned: Planned, dsn: str) -> None:
    """A blocked plan: apply refuses before any DDL, and the database is as before."""
    deployment = Deployment.of(planned)
    with pytest.raises(Refused, match="blocked"):
        deploy(Target(dsn, "test"), deployment, DeployOptions(allow_destructive=True))
    assert read_database(dsn, planned.desired.schema)[0] == planned.actual
