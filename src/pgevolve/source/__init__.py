"""YAML in: load with line marks, validate (JSON Schema, then semantic checks), compile to the model."""

from __future__ import annotations

from pgevolve.source.compile import compile_project
from pgevolve.source.load import load_project
from pgevolve.source.project import (
    CheckSpec,
    ColumnSpec,
    EnumSpec,
    ForeignKeySpec,
    IndexSpec,
    KeySpec,
    Project,
    TableSpec,
)
from pgevolve.source.validate import format_json_schema

__all__ = [
    "CheckSpec",
    "ColumnSpec",
    "EnumSpec",
    "ForeignKeySpec",
    "IndexSpec",
    "KeySpec",
    "Project",
    "TableSpec",
    "compile_project",
    "format_json_schema",
    "load_project",
]

