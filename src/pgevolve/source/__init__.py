"""YAML in: load with line marks, validate (JSON Schema, then semantic checks), compile to the model.

The names below are imported when first used (PEP 562): a plan answered from the cache, which only
needs ``source.paths`` or ``source.marked_yaml``, does not pay for the compiler's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "compile_project": "compile",
    "load_project": "load",
    "format_json_schema": "validate",
    **{name: "project" for name in ("CheckSpec", "ColumnSpec", "EnumSpec", "ForeignKeySpec", "IndexSpec",
                                    "KeySpec", "Project", "TableSpec")},
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pgevolve.source' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pgevolve.source.{home}"), name)
