"""The one neutral model of a database schema.

Both ways in produce these values: the YAML (``source.compile``) and the live
catalog (``catalog.introspect``). The differ only ever compares two of them.

Conventions:
- Names are plain (unquoted) identifiers; quoting happens in ``sqltext.ddl``.
- Types, defaults and expressions hold PostgreSQL's canonical text
  (``format_type``, ``pg_get_expr``) once a model has been through the server;
  a model compiled offline holds the user's spelling until normalized.
- Columns keep their declared order; every other collection is sorted by name
  so that equal schemas are equal values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

ReferentialAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
IdentityKind = Literal["ALWAYS", "BY DEFAULT"]
ReplicaIdentity = Literal["default", "full", "nothing", "index"]


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


_Named = TypeVar("_Named", bound=_HasName)


@dataclass(frozen=True, slots=True, kw_only=True)
class Extension:
    name: str
    schema: str | None = None  # where its objects live; None: the owned schema


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    name: str
    type: str  # "integer", "character varying(20)", "text[]", "serial", an enum's name
    nullable: bool = True
    default: str | None = None
    identity: IdentityKind | None = None
    generated: str | None = None  # expression of a STORED generated column
    collation: str | None = None  # only when not the type's default
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]
    include: tuple[str, ...] = ()  # INCLUDE columns of its index
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UniqueConstraint:
    name: str
    columns: tuple[str, ...]
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False  # PostgreSQL 15+: two NULLs count as equal
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckConstraint:
    name: str
    expression: str  # the boolean expression, without the CHECK keyword
    # False while NOT VALID: left by an interrupted online add, or declared (not_valid: true), in which
    # case a valid one in the catalog satisfies it too (PostgreSQL cannot un-validate a constraint).
    valid: bool = True
    no_inherit: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: str | None = None  # None: the owned schema
    on_delete: ReferentialAction = "NO ACTION"
    on_update: ReferentialAction = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    valid: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexKey:
    """One key of an index: a column or an expression, with its options."""

    column: str | None = None
    expression: str | None = None
    # Only when not the type's default: a name, or schema.name when it lives outside pg_catalog and the
    # owned schema (each part an identifier as written, quoted by sqltext.ddl).
    opclass: str | None = None
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the direction


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    name: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    comment: str | None = None
    valid: bool = True  # False for an INVALID index left by a failed concurrent build


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    # Storage parameters the format manages (fillfactor, autovacuum_*, toast.*): (name, canonical value),
    # sorted by name; see sqltext.storage. Others in the catalog are left alone.
    storage: tuple[tuple[str, str], ...] = ()
    replica_identity: ReplicaIdentity = "default"
    replica_identity_index: str | None = None  # with "index": the unique index (or key) it uses

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncTrigger:
    """A promotion in progress, as the catalog shows it: pgevolve's trigger that fills
    ``table.column`` from ``source_column ->> key``; ``backfilled`` once existing rows are done."""

    table: str
    column: str
    source_column: str
    key: str
    backfilled: bool = False
    drop_key: bool = False  # the key is removed from the JSON once the column is backfilled
    # The trigger's and its function's names in the catalog; "" (the compiled YAML): the default,
    # <table>_<column>_promote. A table renamed after the trigger was made keeps the old names.
    name: str = ""
    function: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Database:
    schema: str = "public"
    extensions: tuple[Extension, ...] = ()
    enums: tuple[EnumType, ...] = ()
    tables: tuple[Table, ...] = ()
    sync_triggers: tuple[SyncTrigger, ...] = ()  # promoted_from columns, sorted by (table, column)

    def sync_trigger(self, table: str, column: str) -> SyncTrigger | None:
        return next((s for s in self.sync_triggers if (s.table, s.column) == (table, column)), None)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def enum(self, name: str) -> EnumType | None:
        return next((e for e in self.enums if e.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """A column filled from a key of a JSONB column (``promoted_from``)."""

    table: str
    column: str
    source_column: str
    key: str
    drop_key: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Hints:
    """Migration hints from the YAML: what the catalog alone cannot tell."""

    table_renames: dict[str, str] = field(default_factory=dict)  # new name -> old name
    column_renames: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, new) -> old
    promotions: tuple[Promotion, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmanagedObject:
    kind: str  # "view", "function", "trigger", "partitioned table", ...
    name: str
    detail: str | None = None
    # Columns of owned tables it depends on, (table, column) or (table, None) for the whole table:
    # PostgreSQL will not drop or retype them while it exists.
    depends_on: tuple[tuple[str, str | None], ...] = ()
    # SQL that creates it again, for the scratch database that normalizes the desired schema
    # (standalone sequences, functions); not part of what the object is, so not compared.
    setup: str | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.detail})" if self.detail else "")


def key_index(key: PrimaryKey | UniqueConstraint) -> Index:
    """The unique index a primary key or UNIQUE constraint stands on, named like the constraint."""
    nulls_not_distinct = isinstance(key, UniqueConstraint) and key.nulls_not_distinct
    return Index(name=key.name, keys=tuple(IndexKey(column=c) for c in key.columns), unique=True,
                 include=key.include, nulls_not_distinct=nulls_not_distinct)


def sort_by_name(items: Iterable[_Named]) -> tuple[_Named, ...]:
    """Sorted copy, so that two equal schemas compare equal whatever the source order."""
    return tuple(sorted(items, key=lambda item: item.name))
