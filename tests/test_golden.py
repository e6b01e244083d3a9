"""Golden cases as data: tests/cases/<area>/<case>/{before.sql, schema/, plan.txt}.

Each case: load before.sql into a fresh database, plan to the YAML and compare the text plan with
plan.txt; build a second database fresh from the YAML; fill every table of the first with rows that
both versions accept (``rows``); apply through ``pgevolve apply`` (pre-checks included) while
reading the catalog after every unit; then the four oracles:
1. a new plan against the migrated database is empty;
2. the migrated database's catalog equals that of the one built fresh from the same YAML;
3. no row is lost and every kept column holds its value (or its declared cast);
4. after each unit (transaction or statement outside one), every guarantee that both the old and
   the new schema give holds (``windows``).

A case without `schema/pgevolve.yaml` gets `schema: public`. `prerequisites.sql` beside `schema/`, when
present, creates the objects the YAML refers to but does not create (a sequence a default draws from, a
table of an external schema) in the fresh database, as they would exist on any real target. A case
without plan.txt fails; set PGEVOLVE_UPDATE_GOLDENS=1 to write (or rewrite) plan.txt files from the
current output. PGEVOLVE_ORACLE_STATS=<file> appends one JSON line per case (rows, units, windows).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from conftest import DatabaseFactory, extensions_in_project, extensions_in_sql, require_extensions
from oracles import apply_through_cli, same_catalog
from pgevolve.apply.run import ApplyOptions, execute_plan
from pgevolve.pipeline import Planned, plan_against, read_database
from pgevolve.plan.render import render_text
from pgevolve.server.connect import Target
from rows import Filled, Mapping, assert_rows_kept, fill, shape_context
from windows import Watcher

pytestmark = pytest.mark.usefixtures("private_cache")
CASES = Path(__file__).parent / "cases"
UPDATE = os.environ.get("PGEVOLVE_UPDATE_GOLDENS") == "1"
STATS = os.environ.get("PGEVOLVE_ORACLE_STATS")


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
    sql = "".join(f.read_text() for f in (before, case / "prerequisites.sql") if f.exists())
    require_extensions(databases.server_dsn, extensions_in_project(schema_dir) | extensions_in_sql(sql))
    migrated = databases.create(before.read_text() if before.exists() else None)

    planned = plan_against(schema_dir, Target(migrated, "test"))
    _compare_with_golden(case / "plan.txt", render_text(planned.plan, color=False))

    prerequisites = case / "prerequisites.sql"
    fresh = databases.create(prerequisites.read_text() if prerequisites.exists() else None)
    schema = planned.desired.schema
    execute_plan(fresh, plan_against(schema_dir, Target(fresh, "test")).plan, ApplyOptions(search_path=schema))
    # Read once: the rows ``fill`` adds change nothing in the catalog, and oracle 2 compares with this read.
    built = {schema: read_database(fresh, schema)[0]}
    mapping = Mapping(old=planned.actual, new=built[schema], hints=planned.compiled.hints)
    filled = fill(migrated, fresh, mapping, shape_context(planned.compiled.project), seed=case.name)

    watcher = Watcher(migrated, schema)
    code, output = apply_through_cli(schema_dir, migrated, watcher)
    if planned.plan.blockers:
        _assert_refused(code, output, planned, migrated, filled)
        return
    windows = watcher.windows() if code == 0 else []
    _record(case, filled, code, len(planned.plan.groups()), windows)
    assert code == 0, output
    assert not windows, "guarantees missing between units:\n" + "\n".join(windows)

    again = plan_against(schema_dir, Target(migrated, "test"))
    assert again.plan.is_empty, render_text(again.plan, color=False)
    # The catalog that plan read (built into the model now): nothing has changed the database since.
    migrated_catalogs = {c.database.schema: c.database for c in (again.live.catalog, *again.live.others)}
    for owned in planned.schemas:  # every owned schema
        reference = built[owned] if owned in built else read_database(fresh, owned)[0]
        actual = migrated_catalogs.get(owned) or read_database(migrated, owned)[0]
        assert same_catalog(actual, reference, planned.compiled.hints), owned
    assert_rows_kept(filled, migrated, schema)


def _compare_with_golden(expected_file: Path, text: str, *, update: bool = UPDATE) -> None:
    if update:
        expected_file.write_text(text)
    assert expected_file.exists(), f"{expected_file} is missing: write it with PGEVOLVE_UPDATE_GOLDENS=1 and read it"
    assert text == expected_file.read_text()


def _assert_refused(code: int, output: str, planned: Planned, dsn: str, filled: Filled) -> None:
    """A blocked plan: apply refuses (exit 3) before any DDL; the catalog and the rows are as before."""
    assert code == 3 and "blocked" in output, output
    assert read_database(dsn, planned.desired.schema)[0] == planned.actual
    with psycopg.connect(dsn) as conn:
        counts = [conn.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(planned.desired.schema), sql.Identifier(t.name))).fetchone() for t in planned.actual.tables]
    assert sum(c[0] for c in counts if c) == filled.rows


def _record(case: Path, filled: Filled, code: int, units: int, windows: list[str]) -> None:
    if STATS:
        with open(STATS, "a") as out:
            out.write(json.dumps({"case": f"{case.parent.name}/{case.name}", "exit": code, "rows": filled.rows,
                                  "tables": len(filled.tables), "units": units, "windows": windows,
                                  "unmatched": filled.unmatched,
                                  "per_table": filled.per_table}) + "\n")


def test_a_missing_plan_txt_fails_unless_goldens_are_being_written(tmp_path: Path) -> None:
    missing = tmp_path / "plan.txt"
    with pytest.raises(AssertionError, match="is missing: write it with PGEVOLVE_UPDATE_GOLDENS=1"):
        _compare_with_golden(missing, "1 step: 1 safe\n", update=False)
    assert not missing.exists()
    _compare_with_golden(missing, "1 step: 1 safe\n", update=True)
    assert missing.read_text() == "1 step: 1 safe\n"


def test_no_test_turns_a_broken_import_into_a_skip() -> None:
    """A module that fails to import must fail the run, not skip its tests quietly."""
    guards = ("importorskip", "suppress(ImportError", "except ImportError", "except ModuleNotFoundError")
    found = [f"{path.name}: {guard}" for path in sorted(Path(__file__).parent.glob("*.py"))
             if path.name != Path(__file__).name for guard in guards if guard in path.read_text()]
    assert found == []
