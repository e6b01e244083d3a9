"""`pgevolve init`: a new project that validates, with editor completion, and its generated/."""

from __future__ import annotations

import os
from pathlib import Path

from pgevolve.errors import PgevolveError

_PROJECT = """\
# yaml-language-server: $schema={schema}
# The project file: the PostgreSQL schema pgevolve owns, the extensions it needs, enum types.
schema: public
extensions: []
"""

_TABLE = """\
# yaml-language-server: $schema={schema}
# One file per table. Edit, then: pgevolve validate && pgevolve generate && pgevolve plan
table: customers
description: People who buy from us.
columns:
  id:            {{ type: bigint, identity: always, primary_key: true }}
  email:         {{ type: text, nullable: false, unique: true }}
  full_name:     {{ type: text }}
  status:        {{ type: text, enum: [active, paused], default: "'active'" }}
  custom_fields: {{ type: custom_fields }}   # jsonb object for fields that are not columns yet
  created_at:    {{ type: timestamptz, nullable: false, default: now() }}
indexes:
  - columns: [status]
"""


def scaffold(directory: Path, generated: Path) -> list[str]:
    """Write DIR/pgevolve.yaml, DIR/tables/customers.yaml, DIR/shapes/ and generated/; the lines to print."""
    if directory.exists() and any(directory.iterdir()):
        raise PgevolveError(f"{directory} already exists and is not empty: pgevolve init writes a new project only")
    files = {
        directory / "pgevolve.yaml": _PROJECT.format(schema=_schema_ref(directory, generated)),
        directory / "tables" / "customers.yaml": _TABLE.format(schema=_schema_ref(directory / "tables", generated)),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (directory / "shapes").mkdir(exist_ok=True)
    written = _generate(directory, generated)
    return [*(f"{path}: written" for path in files), f"{generated}: {len(written)} file(s) written",
            "Next: edit the YAML (your editor completes it from generated/pgevolve.schema.json), then "
            "`pgevolve validate`, `pgevolve generate`, `pgevolve plan`."]


def _schema_ref(directory: Path, generated: Path) -> str:
    """The format's JSON Schema as a path relative to the YAML file's directory (what editors resolve)."""
    return os.path.relpath(generated.resolve() / "pgevolve.schema.json", directory.resolve())


def _generate(directory: Path, generated: Path) -> list[str]:
    from pgevolve.generate.files import render_generated, write_generated
    from pgevolve.source import compile_project, load_project

    project = load_project(directory)
    desired, _ = compile_project(project)
    return write_generated(render_generated(project, desired), generated)
