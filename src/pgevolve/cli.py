"""The Typer app: options -> one call -> render -> exit code.

Every PgevolveError becomes a message on stderr and its exit code; no
traceback ever reaches the user for bad input or a bad connection.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

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


def main() -> None:
    app()
