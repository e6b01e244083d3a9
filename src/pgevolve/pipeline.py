"""The pipeline end to end: YAML + live database -> plan. One call per CLI command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgevolve import model
from pgevolve.canonical import canonicalize
from pgevolve.connect import Target, connect


@dataclass(frozen=True, slots=True)
class Compiled:
    project: Any  # spec.Project
    desired: model.Database
    hints: model.Hints


@dataclass(frozen=True, slots=True)
class Planned:
    compiled: Compiled
    target: Target
    actual: model.Database
    desired: model.Database  # canonical: as PostgreSQL spells it
    plan: Any  # plan.steps.Plan
    unmanaged: tuple[Any, ...]
    canonical_from_cache: bool


def compile_schema(schema_dir: Path) -> Compiled:
    """Load, validate and compile the YAML under schema_dir."""
    from pgevolve.spec import compile_project, load_project

    project = load_project(schema_dir)
    desired, hints = compile_project(project)
    return Compiled(project=project, desired=desired, hints=hints)


def read_database(dsn: str, schema: str) -> tuple[model.Database, tuple[Any, ...]]:
    """The live owned schema as a model, and the objects pgevolve does not manage."""
    from pgevolve.catalog import introspect, unmanaged_objects

    with connect(dsn) as conn:
        return introspect(conn, schema), unmanaged_objects(conn, schema)


def plan_against(schema_dir: Path, target: Target, *, dev_url: str | None = None) -> Planned:
    """Compile the YAML, read the target, normalize through the server, and plan."""
    from pgevolve.plan.planner import make_plan

    compiled = compile_schema(schema_dir)
    actual, unmanaged = read_database(target.dsn, compiled.desired.schema)
    canonical = canonicalize(compiled.desired, server_dsn=dev_url or target.dsn)
    plan = make_plan(actual, canonical.database, compiled.hints)
    return Planned(
        compiled=compiled,
        target=target,
        actual=actual,
        desired=canonical.database,
        plan=plan,
        unmanaged=unmanaged,
        canonical_from_cache=canonical.from_cache,
    )
