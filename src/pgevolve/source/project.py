"""The spec: the YAML project as typed values, each remembering the file and node it came from.

Built only from documents that passed the JSON Schema, so the builders can
trust the shape of the data. Each object keeps its ``path`` inside its
``Document``, so that semantic checks point at file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgevolve import model
from pgevolve.errors import Problem
from pgevolve.model import ONLINE_FROM_ROWS
from pgevolve.source.marked_yaml import Document, NodePath

if TYPE_CHECKING:  # imported where used: a forked reader of table files needs neither (pglast, the type rules)
    from pgevolve.sqltext.type_names import Declared

Scalar = str | int | float | bool
_COLUMN_KEYS = (
    "type", "nullable", "default", "primary_key", "unique", "references", "on_delete", "on_update", "check",
    "shape", "items", "identity", "generated", "collation", "description", "renamed_from", "promoted_from",
    "drop_key", "using",
)  # every column key but enum, which becomes a tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnSpec:
    name: str
    type: str  # as written; compile maps it to format_type's spelling
    nullable: bool | None = None  # None: not written (true, unless the column is in the primary key)
    default: Scalar | None = None  # SQL text, or a bare YAML number / boolean
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # "table.column", or "schema.table.column" (an external schema)
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
    using: str | None = None  # how the old value converts when the type changes (SQL, column names as here)
    raw: dict[str, Any] = field(default_factory=dict)  # the column's plain YAML mapping
    path: NodePath = ()

    @property
    def reference(self) -> tuple[str, str] | None:
        """(table, column) of ``references``."""
        if self.references is None:
            return None
        parts = self.references.split(".")
        return parts[-2], parts[-1]

    @property
    def reference_schema(self) -> str | None:
        """The schema of ``references: schema.table.column``; None when written table.column."""
        parts = (self.references or "").split(".")
        return parts[0] if len(parts) == 3 else None

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
    ref_schema: str | None = None  # None: the owned schema
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
    schema: str | None = None  # the owned schema it lives in; None: the project's schema
    primary_key: KeySpec | None = None
    uniques: tuple[KeySpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    foreign_keys: tuple[ForeignKeySpec, ...] = ()
    indexes: tuple[IndexSpec, ...] = ()
    storage: dict[str, Scalar] = field(default_factory=dict)  # parameter name -> value as written
    replica_identity: str = "default"  # "default" | "full" | "nothing" | "index"
    replica_identity_index: str | None = None
    doc: Document
    # Looked up once per column by the checks: a dict and a tuple, so a 1,600-column table is linear.
    _by_name: dict[str, ColumnSpec] = field(init=False, repr=False, compare=False)
    _pk_columns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, ColumnSpec] = {}
        for column in self.columns:
            by_name.setdefault(column.name, column)
        object.__setattr__(self, "_by_name", by_name)
        pk = self.primary_key.columns if self.primary_key is not None else tuple(
            c.name for c in self.columns if c.primary_key)
        object.__setattr__(self, "_pk_columns", pk)

    def column(self, name: str) -> ColumnSpec | None:
        """The column called ``name``, or None."""
        return self._by_name.get(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in the YAML's order."""
        return tuple(c.name for c in self.columns)

    @property
    def primary_key_columns(self) -> tuple[str, ...]:
        """The primary key's columns, from either form."""
        return self._pk_columns


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
    extension_schemas: dict[str, str] = field(default_factory=dict)  # name -> schema, when written { name, schema }
    external_schemas: tuple[str, ...] = ()  # schemas whose tables foreign keys reference, never planned
    enums: dict[str, EnumSpec] = field(default_factory=dict)
    online_from_rows: int = ONLINE_FROM_ROWS  # type changes that rewrite a table this big run online
    tables: tuple[TableSpec, ...] = ()
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)  # shape name -> the shape file's data
    warnings: tuple[Problem, ...] = ()
    root: Path = Path("schema")
    project_doc: Document | None = None
    shape_docs: dict[str, Document] = field(default_factory=dict)
    prerequisites: tuple[model.Prerequisite, ...] = ()  # schema/prerequisites.sql, in the file's order
    # The other owned schemas (schemas: in pgevolve.yaml), each a project of its own tables and enums whose
    # external_schemas include every other owned schema; their tables say ``schema:``. Compiled one by one.
    others: tuple[Project, ...] = ()
    # The enum types of the other owned schemas, by (schema, name): column types here, written schema.name.
    sibling_enums: frozenset[tuple[str, str]] = frozenset()

    @property
    def owned_schemas(self) -> tuple[str, ...]:
        """Every schema the project owns: its schema first."""
        return (self.schema, *(p.schema for p in self.others))

    @property
    def parts(self) -> tuple[Project, ...]:
        """This project and the other schemas' ones."""
        return (self, *self.others)

    @property
    def declared(self) -> Declared:
        """The domains and types that prerequisites.sql creates and the other owned schemas' enum types:
        usable as column types."""
        from pgevolve.sqltext.prerequisites import declared_types
        from pgevolve.sqltext.type_names import Declared, DeclaredType

        siblings = frozenset(DeclaredType(schema, name) for schema, name in self.sibling_enums)
        return Declared(self.schema, declared_types(self.prerequisites) | siblings)

    def table(self, name: str) -> TableSpec | None:
        """The table called ``name``, or None."""
        return next((t for t in self.tables if t.name == name), None)


def enum_specs(data: dict[str, Any], at: NodePath = ()) -> dict[str, EnumSpec]:
    """The project file's ``enums`` (at ``at``): a list of values, or a mapping with values and description."""
    enums = {}
    for name, value in (data.get("enums") or {}).items():
        values = value if isinstance(value, list) else value["values"]
        description = None if isinstance(value, list) else value.get("description")
        enums[name] = EnumSpec(name=name, values=tuple(values), description=description, path=(*at, "enums", name))
    return enums


def schema_specs(data: dict[str, Any]) -> dict[str, dict[str, EnumSpec]]:
    """The project file's ``schemas``: the other owned schemas, each with its enum types."""
    found: dict[str, dict[str, EnumSpec]] = {}
    for i, item in enumerate(data.get("schemas") or ()):
        name = item if isinstance(item, str) else item["name"]
        found[name] = {} if isinstance(item, str) else enum_specs(item, ("schemas", i))
    return found


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
        schema=data.get("schema"),
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
        ref_schema=value["references"].get("schema"),
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
