"""The oracles every golden case and property test checks, and apply through the CLI.

1. after apply, a new plan is empty; 2. the migrated catalog equals a fresh build (``same_catalog``);
3. no row or value is lost (``rows``); 4. no window (``windows``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pgevolve import model
from pgevolve.cli import app
from pgevolve.diff.index_names import bind_unnamed_indexes
from windows import Watcher


def same_catalog(migrated: model.Database, fresh: model.Database, hints: model.Hints | None = None) -> bool:
    """Equal but for column order (PostgreSQL appends added columns and cannot reorder them), for
    extensions, which pgevolve neither moves nor drops (a listed one counts as installed wherever it
    lives, an unlisted one is left alone: not the project's), and for the names of indexes written
    without a name, whose identity is their definition (``hints``: the migrated one keeps its name)."""
    if hints is not None:
        fresh = bind_unnamed_indexes(migrated, fresh, hints)

    def by_name(db: model.Database) -> model.Database:
        tables = tuple(replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name))) for t in db.tables)
        return replace(db, tables=tables)

    wanted = {e.name: e for e in fresh.extensions}
    extensions = tuple(e if e.schema is None else wanted[e.name] for e in migrated.extensions if e.name in wanted)
    return by_name(replace(migrated, extensions=extensions)) == by_name(fresh)


def apply_through_cli(schema_dir: Path, dsn: str, watcher: Watcher | Any, *extra: str) -> tuple[int, str]:
    """`pgevolve apply --yes --allow-destructive` (pre-checks and all), with ``watcher`` reading the catalog
    after every unit (transaction or statement outside one) the apply commits."""
    from pgevolve.apply import deploy as deploy_module

    original = deploy_module.run_steps

    def watched(conn: Any, plan: Any, options: Any, *, on_step: Any = None, **rest: Any) -> None:
        ends, number = {}, 0
        for unit, group in enumerate(plan.groups(), 1):
            ends[number + 1] = (unit - 1, number)  # before this group starts, unit - 1 (ending at step number) is done
            number += len(group.steps)

        def step(number: int, step: Any) -> None:
            unit, last = ends.get(number, (0, 0))
            if watcher is not None and unit:
                watcher.after_unit(f"after unit {unit} (up to step {last}), before step {number} "
                                   f"[{step.kind} {step.object}]")
            if on_step is not None:
                on_step(number, step)

        original(conn, plan, options, on_step=step, **rest)

    deploy_module.run_steps = watched  # type: ignore[assignment]
    try:
        result = CliRunner().invoke(app, ["apply", "--schema-dir", str(schema_dir), "--database-url", dsn, "--yes",
                                          "--allow-destructive", *extra])
    finally:
        deploy_module.run_steps = original  # type: ignore[assignment]
    output = result.output + (f"\n{result.exception!r}" if result.exception and result.exit_code == 1 else "")
    assert "Traceback" not in output, output
    return result.exit_code, output
