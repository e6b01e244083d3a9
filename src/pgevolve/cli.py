"""The Typer app: options -> one call -> render -> exit code.

Every PgevolveError becomes a message on stderr and its exit code; no
traceback ever reaches the user for bad input or a bad connection.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar, assert_never

import typer

from pgevolve.connect import mask_password
from pgevolve.errors import ExitCode, PgevolveError, SpecError

app = typer.Typer(
    name="pgevolve",
    help="A declarative schema compiler for PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SchemaDir = Annotated[Path, typer.Option("--schema-dir", help="Directory of the YAML schema.")]

P = ParamSpec("P")
R = TypeVar("R")


def _err(text: str) -> None:
    print(mask_password(text), file=sys.stderr)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn PgevolveError into text on stderr and the error's exit code."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SpecError as exc:
            for problem in exc.warnings + exc.problems:
                _err(problem.render())
            count = len(exc.problems)
            _err(f"{count} error{'s' if count != 1 else ''} found")
            raise typer.Exit(ExitCode.ERROR) from None
        except PgevolveError as exc:
            _err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper


@app.command()
@reports_errors
def validate(schema_dir: SchemaDir = Path("schema")) -> None:
    """Check the YAML under schema/: exit 0 when valid, 1 with every problem listed."""
    from pgevolve.spec import load_project

    project = load_project(schema_dir)
    for warning in project.warnings:
        _err(warning.render())
    tables = len(project.tables)
    shapes = len(project.shapes)
    print(f"{schema_dir}: valid ({tables} tables, {shapes} shapes)")


@app.command()
@reports_errors
def generate(
    schema_dir: SchemaDir = Path("schema"),
    out: Annotated[Path, typer.Option("--out", help="Directory to write.")] = Path("generated"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if generated/ is stale.")] = False,
) -> None:
    """Write generated/: schema.sql, a JSON Schema per shape, the format's JSON Schema, a data dictionary."""
    from pgevolve.generate import render_generated, stale_files, write_generated
    from pgevolve.pipeline import compile_schema

    compiled = compile_schema(schema_dir)
    files = render_generated(compiled.project, compiled.desired)
    if check:
        stale = stale_files(files, out)
        for path in stale:
            _err(f"{out / path}: stale; run `pgevolve generate`")
        if stale:
            raise typer.Exit(ExitCode.ERROR)
        print(f"{out}: up to date ({len(files)} files)")
        return
    changed = write_generated(files, out)
    print(f"{out}: {len(changed)} file(s) written, {len(files) - len(changed)} unchanged")


DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Target database (else DATABASE_URL, PG* variables, or a local server)."),
]
DevUrl = Annotated[
    str | None,
    typer.Option("--dev-url", help="A server where pgevolve may create scratch databases to normalize the YAML."),
]


class PlanFormat(StrEnum):
    text = "text"
    sql = "sql"
    json = "json"
    markdown = "markdown"


def _render_plan(plan: Any, fmt: PlanFormat, *, color: bool) -> str:
    from pgevolve.plan import render

    match fmt:
        case PlanFormat.text:
            return render.render_text(plan, color=color)
        case PlanFormat.sql:
            return render.render_sql(plan)
        case PlanFormat.json:
            return render.render_json(plan)
        case PlanFormat.markdown:
            return render.render_markdown(plan)
    assert_never(fmt)


@app.command()
@reports_errors
def plan(
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dev_url: DevUrl = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="Output format.")] = PlanFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help="Also save the plan (JSON) to this file.")] = None,
) -> None:
    """Compare the YAML with the database and print the migration plan: exit 0 in sync, 2 changes."""
    from pgevolve.connect import resolve_target
    from pgevolve.pipeline import plan_against
    from pgevolve.saved import save_plan

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    planned = plan_against(schema_dir, target, dev_url=dev_url)
    for obj in planned.unmanaged:
        _err(f"not managed by pgevolve (left alone): {obj.kind} {obj.name}")
    print(_render_plan(planned.plan, fmt, color=fmt is PlanFormat.text and sys.stdout.isatty()), end="")
    if out is not None:
        save_plan(planned, out)
        _err(f"plan saved to {out}")
    raise typer.Exit(ExitCode.OK if planned.plan.is_empty else ExitCode.CHANGES)


@app.command()
@reports_errors
def drift(
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dev_url: DevUrl = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="Output format.")] = PlanFormat.text,
) -> None:
    """For CI: report every difference between the live database and the YAML; exit 2 on drift."""
    from pgevolve.connect import resolve_target
    from pgevolve.drift import render_drift
    from pgevolve.pipeline import plan_against

    target = resolve_target(database_url, allow_embedded=False)
    _err(f"database: {target.describe()}")
    planned = plan_against(schema_dir, target, dev_url=dev_url)
    print(render_drift(planned, fmt.value), end="")
    raise typer.Exit(ExitCode.OK if planned.plan.is_empty else ExitCode.CHANGES)


@app.command("import")
@reports_errors
def import_(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the YAML project into.")],
    database_url: DatabaseUrl = None,
    schema: Annotated[str, typer.Option("--schema", help="The PostgreSQL schema to import.")] = "public",
) -> None:
    """Write YAML for an existing database; what the format does not cover is listed as skipped."""
    from pgevolve.connect import resolve_target
    from pgevolve.importer import render_project, write_project
    from pgevolve.pipeline import read_database

    target = resolve_target(database_url, allow_embedded=False)
    _err(f"database: {target.describe()}")
    actual, unmanaged = read_database(target.dsn, schema)
    result = render_project(actual)
    written = write_project(result.files, out)
    for obj in unmanaged:
        _err(f"skipped (not managed by pgevolve): {obj.kind} {obj.name}")
    for reason in result.skipped:
        _err(f"skipped: {reason}")
    print(f"{out}: {len(written)} file(s) written for {len(actual.tables)} tables")


def main() -> None:
    app()
