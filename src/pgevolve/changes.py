"""The Change union: what differs between two models, one small record per DDL verb.

``diff`` produces these; ``plan.planner`` turns each into one or more steps.
Every ``Add*``/``Create*`` on a table means an *existing* table: a new table
arrives whole in ``CreateTable`` (columns, keys, checks, foreign keys,
indexes, comments), so the planner knows when online forms are needed.
Names are the desired names: renames run first, before anything else touches
the renamed object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

from pgevolve import model

# "recomputed": a generated column whose expression stays, made again because it reads a column this plan
# retypes (PostgreSQL refuses ALTER COLUMN TYPE under a generated column).
ColumnChange = Literal["type", "nullable", "default", "identity", "generated", "collation", "recomputed"]
CommentTarget = Literal["table", "column", "index", "type"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSchema:
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateExtension:
    extension: model.Extension


@dataclass(frozen=True, slots=True, kw_only=True)
class SetExtensionSchema:
    """ALTER EXTENSION ... SET SCHEMA: the extension's objects move to another schema."""

    name: str
    old_schema: str | None
    new_schema: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePrerequisite:
    """A statement of schema/prerequisites.sql whose object the database lacks (never altered or dropped)."""

    prerequisite: model.Prerequisite


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateEnum:
    enum: model.EnumType


@dataclass(frozen=True, slots=True, kw_only=True)
class AddEnumValue:
    """ALTER TYPE ... ADD VALUE; at most one of before/after, neither when appended at the end."""

    enum: str
    value: str
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceEnum:
    """Values removed or reordered: PostgreSQL cannot do it in place, so the type is rebuilt.

    The old type is renamed aside, the new one created, every column that uses
    it converted through text, and the old type dropped. ``columns`` are the
    (table, column) pairs of the actual database that use the enum (or an array of it).
    ``indexes`` and ``checks``: (table, actual, desired or None) of those whose expressions cast to
    the enum (``'open'::status``), which PostgreSQL cannot re-parse across the two types: dropped
    and made again in the same transaction as the conversion, so no moment lacks them.
    """

    old: model.EnumType
    new: model.EnumType
    columns: tuple[tuple[str, model.Column], ...]
    indexes: tuple[tuple[str, model.Index, model.Index | None], ...] = ()
    checks: tuple[tuple[str, model.CheckConstraint, model.CheckConstraint | None], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DropEnum:
    enum: model.EnumType


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTable:
    definition: model.Table  # every change's ``table`` is a name; the whole table is its definition


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTable:
    definition: model.Table  # as the catalog has it


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameTable:
    """``sequences``: (old, new) names of its serial columns' sequences, renamed along (PostgreSQL's default names)."""

    old: str
    new: str
    sequences: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStorage:
    """ALTER TABLE ... SET / RESET (storage parameters): ``set`` (name, canonical value), ``reset`` names."""

    table: str
    set: tuple[tuple[str, str], ...] = ()
    reset: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SetReplicaIdentity:
    """ALTER TABLE ... REPLICA IDENTITY: what logical replication logs of an updated or deleted row."""

    table: str
    identity: model.ReplicaIdentity
    index: str | None = None  # with "index"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddColumn:
    table: str
    column: model.Column


@dataclass(frozen=True, slots=True, kw_only=True)
class DropColumn:
    table: str
    column: model.Column


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameColumn:
    """``sequences``: (old, new) name of a serial column's sequence, renamed along."""

    table: str
    old: str
    new: str
    sequences: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterColumn:
    """One column changed in place; ``changes`` says what (comments are SetComment).

    ``indexes``: for a column dropped and added again (a new generation expression, or "recomputed"),
    the desired indexes on it: DROP COLUMN takes the old ones along, and they are built again in its
    transaction.
    ``using``: the YAML's conversion of the old value (``USING``) when the type changes.
    ``in_place``: why a type change that rewrites the table runs in place rather than online
    (the table is small, or the online shape cannot do it), for the plan to say.
    """

    table: str
    old: model.Column
    new: model.Column
    changes: frozenset[ColumnChange]
    indexes: tuple[model.Index, ...] = ()
    using: str | None = None
    in_place: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddPrimaryKey:
    """``using_index``: a live unique index with exactly the key's definition, attached instead of built."""

    table: str
    key: model.PrimaryKey
    using_index: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropPrimaryKey:
    table: str
    key: model.PrimaryKey


@dataclass(frozen=True, slots=True, kw_only=True)
class AddUnique:
    """``using_index``: a live unique index with exactly the constraint's definition, attached instead of built."""

    table: str
    constraint: model.UniqueConstraint
    using_index: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropUnique:
    table: str
    constraint: model.UniqueConstraint


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceKey:
    """A PRIMARY KEY or UNIQUE constraint whose definition changed, swapped without a moment without one.

    The new unique index is built CONCURRENTLY under a temporary name
    (``ident.temporary_index_name``) while the old key still holds; then one
    short transaction drops the foreign keys that stand on the old key
    (``foreign_keys``: (table, actual foreign key); their desired versions are
    AddForeignKey changes), drops the old key and attaches the new index.
    ``using_index``: a live unique index with exactly the new definition (left
    under the temporary name by an interrupted run, or any other): attached, not built.
    """

    table: str
    old: model.PrimaryKey | model.UniqueConstraint
    new: model.PrimaryKey | model.UniqueConstraint
    using_index: str | None = None
    foreign_keys: tuple[tuple[str, model.ForeignKey], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterForeignKey:
    """Only DEFERRABLE / INITIALLY DEFERRED changed: ALTER CONSTRAINT, no drop, no scan."""

    table: str
    old: model.ForeignKey
    new: model.ForeignKey


@dataclass(frozen=True, slots=True, kw_only=True)
class AddCheck:
    """``replaces``: the actual CHECK of the same name (its definition changed), dropped in the
    transaction that adds this one: there is no separate DropCheck for it."""

    table: str
    check: model.CheckConstraint
    replaces: model.CheckConstraint | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropCheck:
    table: str
    check: model.CheckConstraint


@dataclass(frozen=True, slots=True, kw_only=True)
class AddForeignKey:
    """``replaces``: the actual foreign key of the same name (its definition changed), dropped in the
    transaction that adds this one: there is no separate DropForeignKey for it."""

    table: str
    foreign_key: model.ForeignKey
    replaces: model.ForeignKey | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropForeignKey:
    table: str
    foreign_key: model.ForeignKey


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateConstraint:
    """The actual constraint is NOT VALID (an interrupted online add); the desired one is valid."""

    table: str
    constraint: model.CheckConstraint | model.ForeignKey


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameConstraint:
    """Same definition, another name (a renamed table keeps its constraints' old names)."""

    table: str
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateIndex:
    table: str
    index: model.Index


@dataclass(frozen=True, slots=True, kw_only=True)
class DropIndex:
    table: str
    index: model.Index


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceIndex:
    """Same name, other definition: build the new index under a temporary name, drop the old, rename.

    ``prebuilt``: an interrupted run already built it. ``foreign_keys`` stand on
    the old (unique) index: then the old index is dropped in the same short
    transaction as they are, instead of CONCURRENTLY (PostgreSQL refuses to drop
    an index a foreign key depends on).
    """

    table: str
    old: model.Index
    new: model.Index
    prebuilt: bool = False
    foreign_keys: tuple[tuple[str, model.ForeignKey], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameIndex:
    table: str
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetComment:
    """COMMENT ON ... IS; ``table`` is None for a type, ``name`` the column/index/type/table name."""

    target: CommentTarget
    table: str | None
    name: str
    comment: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoteColumn:
    """Keep ``column`` filled from a JSON key (``promoted_from``), and fill it for existing rows.

    ``trigger`` is the desired sync trigger; it is created unless ``sync_exists``
    (an interrupted apply left it, its backfill unfinished). With ``backfill``,
    existing rows are filled in batches cut by the primary key (``key_columns``,
    ``key_types``; none: one statement); a table created by this plan has no rows.
    """

    table: str
    column: model.Column
    trigger: model.SyncTrigger
    key_columns: tuple[str, ...] = ()
    key_types: tuple[str, ...] = ()
    sync_exists: bool = False
    backfill: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameSyncTrigger:
    """The table of a sync trigger was renamed: the trigger and its function take the table's new name."""

    trigger: model.SyncTrigger  # as the catalog has it (old names), on the table's new name


@dataclass(frozen=True, slots=True, kw_only=True)
class DropSyncTrigger:
    """``promoted_from`` left the YAML (the application writes the column itself now), or names another key."""

    trigger: model.SyncTrigger


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineColumn:
    """One column of an online type change: as the table has it, as the YAML wants it, and its shadow."""

    table: str
    old: model.Column
    new: model.Column
    shadow: str  # the shadow column's name ("<column>_pgevolve_new")
    using: str | None = None  # the YAML's conversion; None: the cast (USING col::type where no assignment cast)
    progress: model.ShadowColumn | None = None  # what an interrupted apply left; None: nothing yet
    lossy: bool = False  # the conversion rounds or narrows (in place it would be destructive)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineTable:
    """A table of an online type change: its retyped columns and what stands on them.

    ``old_*``: the table's keys, indexes and CHECKs that involve a retyped column (dropped in the
    swap); ``new_*``: the YAML's (built on the shadows beforehand, attached or renamed in the swap).
    Backfill batches are cut by ``key_columns`` (the live primary key; none: page ranges).
    """

    name: str
    columns: tuple[OnlineColumn, ...]
    rows: model.RowCount | None = None
    key_columns: tuple[str, ...] = ()
    key_types: tuple[str, ...] = ()
    old_primary_key: model.PrimaryKey | None = None
    new_primary_key: model.PrimaryKey | None = None
    old_uniques: tuple[model.UniqueConstraint, ...] = ()
    new_uniques: tuple[model.UniqueConstraint, ...] = ()
    old_indexes: tuple[model.Index, ...] = ()
    new_indexes: tuple[model.Index, ...] = ()
    old_checks: tuple[model.CheckConstraint, ...] = ()
    new_checks: tuple[model.CheckConstraint, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RetypeOnline:
    """Type changes that would rewrite a large table, made without holding a lock while it is rewritten.

    Per column: a shadow column of the new type, a trigger that keeps it equal to the converted
    value, a batched resumable backfill; per table, its keys, indexes and CHECKs on the column
    built on the shadow (CONCURRENTLY, NOT VALID); then one short transaction for all ``tables``
    swaps the columns and attaches what was built; the old columns are dropped last. Tables whose
    retyped columns are linked by a foreign key are one change (one swap). ``foreign_keys``:
    (table, live, desired) of the foreign keys on a retyped column, either side: dropped in the
    swap and added again NOT VALID in it, validated after. ``absorbed``: the differ's changes
    this one makes itself (drift and the review describe them). ``online_from_rows``: the
    threshold that chose this shape.
    """

    tables: tuple[OnlineTable, ...]
    foreign_keys: tuple[tuple[str, model.ForeignKey | None, model.ForeignKey | None], ...] = ()
    absorbed: tuple[Change, ...] = ()
    online_from_rows: int = model.ONLINE_FROM_ROWS


@dataclass(frozen=True, slots=True, kw_only=True)
class DropRetiredColumn:
    """The old column of a finished online type change (its values live on in the new column)."""

    column: model.RetiredColumn


@dataclass(frozen=True, slots=True, kw_only=True)
class AbandonShadow:
    """An online type change left half-way that the YAML no longer asks for: its shadow column,
    trigger and function go (pgevolve's own objects; the column itself is untouched)."""

    shadow: model.ShadowColumn


Change = (
    CreateSchema
    | CreateExtension
    | SetExtensionSchema
    | CreatePrerequisite
    | CreateEnum
    | AddEnumValue
    | ReplaceEnum
    | DropEnum
    | CreateTable
    | DropTable
    | RenameTable
    | SetStorage
    | SetReplicaIdentity
    | AddColumn
    | DropColumn
    | RenameColumn
    | AlterColumn
    | AddPrimaryKey
    | DropPrimaryKey
    | AddUnique
    | DropUnique
    | ReplaceKey
    | AddCheck
    | DropCheck
    | AddForeignKey
    | DropForeignKey
    | AlterForeignKey
    | ValidateConstraint
    | RenameConstraint
    | CreateIndex
    | DropIndex
    | ReplaceIndex
    | RenameIndex
    | SetComment
    | PromoteColumn
    | DropSyncTrigger
    | RenameSyncTrigger
    | RetypeOnline
    | DropRetiredColumn
    | AbandonShadow
)


def table_of(change: Change) -> str | None:
    """The name of the table a change is about (the desired name), None for a schema-wide change."""
    match change:
        case CreateTable(definition=table) | DropTable(definition=table):
            return table.name
        case RenameTable(new=new):
            return new
        case DropSyncTrigger(trigger=trigger) | RenameSyncTrigger(trigger=trigger):
            return trigger.table
        case RetypeOnline(tables=tables):
            return tables[0].name
        case DropRetiredColumn(column=column):
            return column.table
        case AbandonShadow(shadow=shadow):
            return shadow.table
        case (SetStorage() | SetReplicaIdentity() | AddColumn() | DropColumn() | RenameColumn() | AlterColumn()
              | AddPrimaryKey() | DropPrimaryKey()
              | AddUnique() | DropUnique() | ReplaceKey() | AddCheck() | DropCheck() | AddForeignKey()
              | DropForeignKey() | AlterForeignKey() | ValidateConstraint() | RenameConstraint() | CreateIndex()
              | DropIndex() | ReplaceIndex() | RenameIndex() | SetComment() | PromoteColumn()):
            return change.table
        case (CreateSchema() | CreateExtension() | SetExtensionSchema() | CreatePrerequisite() | CreateEnum()
              | AddEnumValue()
              | ReplaceEnum() | DropEnum()):
            return None
        case _:
            assert_never(change)
