"""``pgevolve import``: a model read from a live database, written as the YAML project files.

The files compile back (``spec.compile_project``) to the same model for
everything the format covers; the rest is listed in ``ImportResult.skipped``
rather than dropped silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgevolve import ident, model
from pgevolve.importer.emit import document
from pgevolve.importer.tables import table_data

PROJECT_FILE = "pgevolve.yaml"
_SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    files: dict[str, str]  # path relative to the schema directory -> file text
    skipped: tuple[str, ...]  # what the format cannot express, one sentence each


def render_project(db: model.Database) -> ImportResult:
    """The YAML project files for ``db``, and what could not be written in them."""
    skipped: list[str] = []
    files = {PROJECT_FILE: document(
        project_data(db, skipped), header=_header(db.schema, "../generated"), aligned=("enums",)
    )}
    for table, file_name in zip(db.tables, table_file_names(db.tables), strict=True):
        data = table_data(table, db.schema, skipped)
        header = _header(db.schema, "../../generated")
        files[f"tables/{file_name}"] = document(data, header=header, aligned=("columns",))
    return ImportResult(files=files, skipped=tuple(skipped))


def write_project(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write the files under ``out_dir`` (overwriting them, leaving any other file alone)."""
    written = []
    for relative, text in sorted(files.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def project_data(db: model.Database, skipped: list[str]) -> dict[str, Any]:
    """``pgevolve.yaml``: the owned schema, its extensions and enum types."""
    data: dict[str, Any] = {"schema": db.schema}
    for extension in db.extensions:
        if extension.schema not in (None, db.schema):
            skipped.append(
                f"extension {ident.quote_ident(extension.name)} is installed in schema "
                f"{ident.quote_ident(extension.schema)}; the format installs it in the owned schema"
            )
    if db.extensions:
        data["extensions"] = [e.name for e in db.extensions]
    if db.enums:
        data["enums"] = {e.name: _enum(e) for e in db.enums}
    return data


def _enum(enum: model.EnumType) -> list[str] | dict[str, Any]:
    if enum.comment is None:
        return list(enum.values)
    return {"values": list(enum.values), "description": enum.comment}


def table_file_names(tables: tuple[model.Table, ...]) -> list[str]:
    """``<table>.yaml``; a name unsafe as a file name, or equal to another but for case, gets a hash suffix."""
    names: list[str] = []
    seen: set[str] = set()
    for table in tables:
        stem = table.name
        if not _SAFE_FILE_NAME.fullmatch(stem) or stem.lower() in seen:
            digest = hashlib.sha256(table.name.encode()).hexdigest()[:8]
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".")[:40] + f"-{digest}"
        seen.add(stem.lower())
        names.append(f"{stem}.yaml")
    return names


def _header(schema: str, generated: str) -> tuple[str, ...]:
    return (
        f"Imported by pgevolve from schema {json.dumps(schema)}",
        f"yaml-language-server: $schema={generated}/pgevolve.schema.json",
    )
