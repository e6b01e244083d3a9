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

# The default of ``online_from_rows``: under it, the in-place ALTER COLUMN ... TYPE rewrite is faster and
# simpler, and holds its ACCESS EXCLUSIVE lock for a fraction of a second (bench/online_type.py: 0.3-0.4 s at
# 50,000 rows of its table, 1-2.7 s at 100,000 on a 2-core machine).
ONLINE_FROM_ROWS = 50_000

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
class RowCount:
    """How many rows a live table holds, as the catalog estimates it (never counted: plans stay cheap)."""

    rows: int
    # "statistics": pg_class.reltuples (as of the last VACUUM, ANALYZE or CREATE INDEX); "size": never
    # analyzed, bounded by the heap's size at 28 bytes a row (the smallest a row can take): an upper
    # bound, which errs towards the online shape.
    source: Literal["statistics", "size"] = "statistics"


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
    # The live table's size (catalog only; the compiled YAML has none). Not part of what the table is:
    # two reads of an unchanged schema are equal whatever autovacuum did in between.
    row_count: RowCount | None = field(default=None, compare=False, repr=False)

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


PrerequisiteKind = Literal["function", "procedure", "domain", "type", "sequence", "schema"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prerequisite:
    """An object the tables need that the format does not manage (schema/prerequisites.sql).

    Created when missing, never altered or dropped: its SQL is the project DBA's. ``name`` is how the
    server names it back (``to_regprocedure``/``to_regtype``/``to_regclass``/``to_regnamespace`` text):
    ``"public"."convert_ts"(character varying)``, ``"public"."year"``.
    """

    kind: PrerequisiteKind
    name: str
    sql: str = field(default="", compare=False)  # the statement as written, without its ";" (in repr: cache keys)
    line: int = field(default=0, compare=False, repr=False)  # where it starts in prerequisites.sql


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowColumn:
    """An online type change in progress, as the catalog shows it (see ``plan/online_steps.py``).

    ``shadow`` is a column of the new type that pgevolve's trigger keeps equal to the conversion of
    ``column``; ``backfilled`` once every existing row has it. ``indexes`` and ``checks``: what has
    been built on the shadow so far (its copies of the column's indexes, keys and CHECKs, NOT VALID
    or INVALID when interrupted), under their temporary names. Introspection takes the shadow and
    what stands on it out of the table, so the differ sees the table as the application does.
    """

    table: str
    column: str
    shadow: str
    type: str  # the shadow's type, as format_type prints it
    using: str | None = None  # the conversion written in the YAML; None: the cast of the column
    backfilled: bool = False
    indexes: tuple[Index, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    function: str = ""  # the sync trigger's function (the trigger has the same name)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetiredColumn:
    """The old column of a finished online type change, kept under another name until its own drop."""

    table: str
    name: str  # its name now: "<column>_pgevolve_old"
    replaced_by: str  # the column that took its place
    lossy: bool = False  # the conversion rounds or narrows: dropping the old values needs --allow-destructive


@dataclass(frozen=True, slots=True, kw_only=True)
class Database:
    schema: str = "public"
    extensions: tuple[Extension, ...] = ()
    enums: tuple[EnumType, ...] = ()
    tables: tuple[Table, ...] = ()
    sync_triggers: tuple[SyncTrigger, ...] = ()  # promoted_from columns, sorted by (table, column)
    # In the file's order (each may use the ones before it). The catalog reader never fills it: the
    # pipeline sets the desired ones that the target already has (catalog.prerequisites).
    prerequisites: tuple[Prerequisite, ...] = ()
    # Online type changes an interrupted apply left (the catalog only), sorted by (table, column).
    shadows: tuple[ShadowColumn, ...] = ()
    retired_columns: tuple[RetiredColumn, ...] = ()

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
    # (table, default name) of each index written without ``name:``: its identity is its definition,
    # and it keeps the name the live index of that definition has (diff.index_names).
    unnamed_indexes: frozenset[tuple[str, str]] = frozenset()
    # ``using:`` of a column: (table, column) -> the expression that converts the column's old value
    # when its type changes (column names as the YAML names them).
    conversions: dict[tuple[str, str], str] = field(default_factory=dict)
    # A type change that rewrites a table of at least this many rows (pg_class.reltuples) runs online:
    # shadow column, sync trigger, batched backfill, swap (pgevolve.yaml ``online_from_rows``).
    online_from_rows: int = ONLINE_FROM_ROWS


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
