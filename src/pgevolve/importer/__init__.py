"""``pgevolve import``: a model read from a live database, written as the YAML project files.

The files compile back (``source.compile_project``) to the same model for
everything the format covers; the rest is listed in ``ImportResult.skipped``
rather than dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pgevolve import model
from pgevolve.importer.emit import document
from pgevolve.importer.tables import Scope, table_data
from pgevolve.source.naming import safe_file_stem
from pgevolve.sqltext import ident
from pgevolve.sqltext.prerequisites import FILE_NAME as PREREQUISITES_FILE

PROJECT_FILE = "pgevolve.yaml"
_EXTENSION_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # what the format's JSON Schema accepts


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    files: dict[str, str]  # path relative to the schema directory -> file text
    skipped: tuple[str, ...]  # what the format cannot express, one sentence each


def render_project(db: model.Database, others: tuple[model.Database, ...] = ()) -> ImportResult:
    """The YAML project files for ``db`` (and the project's other owned schemas, ``others``: their tables under
    tables/<schema>/, with ``schema:``), and what could not be written in them."""
    skipped: list[str] = []
    files = {PROJECT_FILE: document(
        project_data(db, skipped, others), header=_header(db.schema, "../generated"), aligned=("enums",)
    )}
    if db.prerequisites:
        files[PREREQUISITES_FILE] = prerequisites_text(db)
    enums = {(d.schema, e.name) for d in (db, *others) for e in d.enums}  # each schema's: column types in the others
    files.update(_table_files(db, skipped, folder="tables", siblings=enums))
    for other in others:
        # The prerequisites' domains and types are column types in every owned schema.
        other = replace(other, prerequisites=db.prerequisites)
        files.update(_table_files(other, skipped, folder=f"tables/{_folder_name(other.schema)}", siblings=enums))
    return ImportResult(files=files, skipped=tuple(skipped))


def _table_files(db: model.Database, skipped: list[str], *, folder: str,
                 siblings: set[tuple[str, str]]) -> dict[str, str]:
    scope = Scope.of(db, frozenset((s, name) for s, name in siblings if s != db.schema))
    files = {}
    depth = "../" * (folder.count("/") + 2)
    for table, file_name in zip(db.tables, table_file_names(db.tables), strict=True):
        data = table_data(table, scope, skipped)
        if data is not None:
            if folder != "tables":  # a table of another owned schema says which
                data = {"table": data.pop("table"), "schema": db.schema, **data}
            header = _header(db.schema, f"{depth}generated")
            files[f"{folder}/{file_name}"] = document(data, header=header, aligned=("columns",))
    return files


def prerequisites_text(db: model.Database) -> str:
    """schema/prerequisites.sql: the statements that create what the tables need, with a header saying whose it is."""
    header = (
        f"-- Imported by pgevolve from schema {json.dumps(db.schema)}: what the tables need that the YAML format does\n"
        "-- not manage. pgevolve creates each object here when the database lacks it (before the tables, and in\n"
        "-- its scratch database), and never alters or drops one: changing an existing object is the DBA's.\n"
        "-- This is SQL that pgevolve runs as written: have it reviewed by the database's owners (CODEOWNERS).\n"
    )
    return header + "\n" + "".join(f"{item.sql};\n\n" for item in db.prerequisites).rstrip("\n") + "\n"


def write_project(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write the files under ``out_dir`` (overwriting them, leaving any other file alone)."""
    written = []
    for relative, text in sorted(files.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def project_data(db: model.Database, skipped: list[str], others: tuple[model.Database, ...] = ()) -> dict[str, Any]:
    """``pgevolve.yaml``: the owned schema, the other owned ones, its extensions and enum types."""
    data: dict[str, Any] = {"schema": db.schema}
    owned = {db.schema, *(o.schema for o in others)}
    if others:
        data["schemas"] = [_schema_entry(o, skipped) for o in others]
    external = sorted({fk.ref_schema for d in (db, *others) for t in d.tables for fk in t.foreign_keys
                       if fk.ref_schema is not None and fk.ref_schema not in owned})
    if external:
        data["external_schemas"] = external
    extensions = [e for e in db.extensions if _extension_ok(e, db.schema, skipped)]
    if extensions:
        data["extensions"] = [e.name if e.schema in (None, db.schema) else {"name": e.name, "schema": e.schema}
                              for e in extensions]
    enums = [e for e in db.enums if _enum_ok(e, skipped)]
    if enums:
        data["enums"] = {e.name: _enum(e) for e in enums}
    return data


def _schema_entry(db: model.Database, skipped: list[str]) -> str | dict[str, Any]:
    """Another owned schema in ``schemas:``: its name, with its enum types when it has some."""
    enums = [e for e in db.enums if _enum_ok(e, skipped)]
    if not enums:
        return db.schema
    return {"name": db.schema, "enums": {e.name: _enum(e) for e in enums}}


def _extension_ok(extension: model.Extension, schema: str, skipped: list[str]) -> bool:
    """Whether the extension can be listed; notes what is lost or why it cannot."""
    name = ident.quote_ident(extension.name)
    if not _EXTENSION_NAME.fullmatch(extension.name):
        skipped.append(f"extension {name}: the format accepts letters, digits, '_', '-' and '.'; not imported")
        return False
    return True


def _enum_ok(enum: model.EnumType, skipped: list[str]) -> bool:
    """An enum type needs at least one value and no empty one in the format."""
    if enum.values and all(enum.values):
        return True
    skipped.append(f"enum type {ident.quote_ident(enum.name)}: no values, or an empty value, is not in the format; "
                   "not imported")
    return False


def _enum(enum: model.EnumType) -> list[str] | dict[str, Any]:
    if enum.comment is None:
        return list(enum.values)
    return {"values": list(enum.values), "description": enum.comment}


def _folder_name(schema: str) -> str:
    """The folder of a schema's tables: its name, or a safe spelling with a hash suffix."""
    return safe_file_stem(schema)


def table_file_names(tables: tuple[model.Table, ...]) -> list[str]:
    """``<table>.yaml``; a name unsafe as a file name, or equal to another but for case, gets a hash suffix."""
    names: list[str] = []
    seen: set[str] = set()
    for table in tables:
        stem = safe_file_stem(table.name, taken=table.name.lower() in seen)
        seen.add(stem.lower())
        names.append(f"{stem}.yaml")
    return names


def _header(schema: str, generated: str) -> tuple[str, ...]:
    return (
        f"Imported by pgevolve from schema {json.dumps(schema)}",
        f"yaml-language-server: $schema={generated}/pgevolve.schema.json",
    )
