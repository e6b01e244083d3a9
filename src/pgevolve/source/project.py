"""The spec: the YAML project as typed values, each remembering the file and node it came from.

Built only from documents that passed the JSON Schema, so the builders can
trust the shape of the data. Each object keeps its ``path`` inside its
``Document``, so that semantic checks point at file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgevolve.errors import Problem
from pgevolve.source.marked_yaml import Document, NodePath

Scalar = str | int | float | bool
_COLUMN_KEYS = (
    "type", "nullable", "default", "primary_key", "unique", "references", "on_delete", "on_update", "check",
    "shape", "items", "identity", "generated", "collation", "description", "renamed_from", "promoted_from",
    "drop_key",
)  # every column key but enum, which becomes a tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnSpec:
    name: str
    type: str  # as written; compile maps it to format_type's spelling
    nullable: bool | None = None  # None: not written (true, unless the column is in the primary key)
    default: Scalar | None = None  # SQL text, or a bare YAML number / boolean
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # "table.column"
    on_delete: str = "no action"
    on_update: str = "no action"
    enum: tuple[str, ...] | None = None
    check: str | None = None
    shape: str | None = None
    items: str | None = None
    identity: str | None = None  # "always" | "by default"
    generated: str | None = None
    collation: str | None = None
    description: str | None = None
    renamed_from: str | None = None
    promoted_from: str | None = None  # "<jsonb column>.<key>"
    drop_key: bool = False  # with promoted_from: remove the key from the JSON once backfilled
    raw: dict[str, Any] = field(default_factory=dict)  # the column's plain YAML mapping
    path: NodePath = ()

    @property
    def reference(self) -> tuple[str, str] | None:
        """(table, column) of ``references``."""
        if self.references is None:
            return None
        table, _, column = self.references.partition(".")
        return table, column

    @property
    def promotion(self) -> tuple[str, str] | None:
        """(source column, JSON key) of ``promoted_from``."""
        if self.promoted_from is None:
            return None
        source, _, key = self.promoted_from.partition(".")
        return source, key


@dataclass(frozen=True, slots=True, kw_only=True)
class KeySpec:
    """A table-level primary key or UNIQUE constraint."""

    columns: tuple[str, ...]
    name: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False  # UNIQUE only
    deferrable: bool = False
    initially_deferred: bool = False
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckSpec:
    expression: str
    name: str | None = None
    not_valid: bool = False
    no_inherit: bool = False
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignKeySpec:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "no action"
    on_update: str = "no action"
    deferrable: bool = False
    initially_deferred: bool = False
    not_valid: bool = False
    name: str | None = None
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexKeySpec:
    """One entry of an index's ``keys``: a column or an expression, with its options."""

    column: str | None = None
    expression: str | None = None
    desc: bool = False
    nulls: str | None = None  # "first" | "last"; None: the default for the direction
    opclass: str | None = None
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSpec:
    columns: tuple[str, ...] | None = None
    expression: str | None = None
    keys: tuple[IndexKeySpec, ...] | None = None
    unique: bool = False
    nulls_not_distinct: bool = False
    using: str = "btree"
    opclass: str | None = None
    name: str | None = None
    include: tuple[str, ...] = ()
    where: str | None = None
    description: str | None = None
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    description: str | None = None
    renamed_from: str | None = None
    primary_key: KeySpec | None = None
    uniques: tuple[KeySpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    foreign_keys: tuple[ForeignKeySpec, ...] = ()
    indexes: tuple[IndexSpec, ...] = ()
    storage: dict[str, Scalar] = field(default_factory=dict)  # parameter name -> value as written
    replica_identity: str = "default"  # "default" | "full" | "nothing" | "index"
    replica_identity_index: str | None = None
    doc: Document

    def column(self, name: str) -> ColumnSpec | None:
        """The column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in the YAML's order."""
        return tuple(c.name for c in self.columns)

    @property
    def primary_key_columns(self) -> tuple[str, ...]:
        """The primary key's columns, from either form."""
        if self.primary_key is not None:
            return self.primary_key.columns
        return tuple(c.name for c in self.columns if c.primary_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumSpec:
    name: str
    values: tuple[str, ...]
    description: str | None = None
    path: NodePath = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    """Everything under schema/, validated."""

    schema: str
    extensions: tuple[str, ...] = ()
    enums: dict[str, EnumSpec] = field(default_factory=dict)
    tables: tuple[TableSpec, ...] = ()
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)  # shape name -> the shape file's data
    warnings: tuple[Problem, ...] = ()
    root: Path = Path("schema")
    project_doc: Document | None = None
    shape_docs: dict[str, Document] = field(default_factory=dict)

    def table(self, name: str) -> TableSpec | None:
        """The table called ``name``, or None."""
        return next((t for t in self.tables if t.name == name), None)


def enum_specs(data: dict[str, Any]) -> dict[str, EnumSpec]:
    """The project file's ``enums``: a list of values, or a mapping with values and description."""
    enums = {}
    for name, value in (data.get("enums") or {}).items():
        values = value if isinstance(value, list) else value["values"]
        description = None if isinstance(value, list) else value.get("description")
        enums[name] = EnumSpec(name=name, values=tuple(values), description=description, path=("enums", name))
    return enums


def table_spec(doc: Document) -> TableSpec:
    """A table file that passed the JSON Schema, as a TableSpec."""
    data = doc.data
    pk = data.get("primary_key")
    identity = data.get("replica_identity", "default")
    return TableSpec(
        name=data["table"],
        columns=tuple(_column(name, raw) for name, raw in data["columns"].items()),
        description=data.get("description"),
        renamed_from=data.get("renamed_from"),
        primary_key=_key(pk, ("primary_key",)) if pk is not None else None,
        uniques=tuple(_key(u, ("unique", i)) for i, u in enumerate(data.get("unique") or ())),
        checks=tuple(_check(c, ("checks", i)) for i, c in enumerate(data.get("checks") or ())),
        foreign_keys=tuple(_foreign_key(f, ("foreign_keys", i)) for i, f in enumerate(data.get("foreign_keys") or ())),
        indexes=tuple(_index(x, ("indexes", i)) for i, x in enumerate(data.get("indexes") or ())),
        storage=dict(data.get("storage") or {}),
        replica_identity="index" if isinstance(identity, dict) else identity,
        replica_identity_index=identity["index"] if isinstance(identity, dict) else None,
        doc=doc,
    )


def _column(name: str, raw: dict[str, Any]) -> ColumnSpec:
    plain = {
        key: raw[key]
        for key in _COLUMN_KEYS
        if raw.get(key) is not None
    }
    enum = tuple(raw["enum"]) if "enum" in raw else None
    return ColumnSpec(name=name, enum=enum, raw=dict(raw), path=("columns", name), **plain)


def _key(value: list[str] | dict[str, Any], path: NodePath) -> KeySpec:
    if isinstance(value, list):
        return KeySpec(columns=tuple(value), path=path)
    return KeySpec(columns=tuple(value["columns"]), name=value.get("name"), include=tuple(value.get("include") or ()),
                   nulls_not_distinct=value.get("nulls_not_distinct", False),
                   deferrable=value.get("deferrable", False), initially_deferred=value.get("initially_deferred", False),
                   path=path)


def _check(value: dict[str, Any], path: NodePath) -> CheckSpec:
    return CheckSpec(expression=value["expression"], name=value.get("name"), not_valid=value.get("not_valid", False),
                     no_inherit=value.get("no_inherit", False), path=path)


def _foreign_key(value: dict[str, Any], path: NodePath) -> ForeignKeySpec:
    return ForeignKeySpec(
        columns=tuple(value["columns"]),
        ref_table=value["references"]["table"],
        ref_columns=tuple(value["references"]["columns"]),
        on_delete=value.get("on_delete", "no action"),
        on_update=value.get("on_update", "no action"),
        deferrable=value.get("deferrable", False),
        initially_deferred=value.get("initially_deferred", False),
        not_valid=value.get("not_valid", False),
        name=value.get("name"),
        path=path,
    )


def _index(value: dict[str, Any], path: NodePath) -> IndexSpec:
    keys = value.get("keys")
    return IndexSpec(
        columns=tuple(value["columns"]) if "columns" in value else None,
        expression=value.get("expression"),
        keys=tuple(_index_key(k, (*path, "keys", i)) for i, k in enumerate(keys)) if keys is not None else None,
        unique=value.get("unique", False),
        nulls_not_distinct=value.get("nulls_not_distinct", False),
        using=value.get("using", "btree"),
        opclass=value.get("opclass"),
        name=value.get("name"),
        include=tuple(value.get("include") or ()),
        where=value.get("where"),
        description=value.get("description"),
        path=path,
    )


def _index_key(value: str | dict[str, Any], path: NodePath) -> IndexKeySpec:
    if isinstance(value, str):
        return IndexKeySpec(column=value, path=path)
    return IndexKeySpec(column=value.get("column"), expression=value.get("expression"), desc=value.get("desc", False),
                        nulls=value.get("nulls"), opclass=value.get("opclass"), path=path)
