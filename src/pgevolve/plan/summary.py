"""Each change in plain words, for a product manager reading a pull request."""

from __future__ import annotations

from typing import assert_never

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterForeignKey,
    Change,
    CreateEnum,
    CreateExtension,
    CreateIndex,
    CreateSchema,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSyncTrigger,
    DropTable,
    DropUnique,
    PromoteColumn,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSyncTrigger,
    RenameTable,
    ReplaceEnum,
    ReplaceIndex,
    ReplaceKey,
    SetComment,
    SetExtensionSchema,
    SetReplicaIdentity,
    SetStorage,
    ValidateConstraint,
)
from pgevolve.sqltext.type_names import SERIAL_TYPES


def _c(name: str) -> str:
    return f"`{name}`"


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(_c(n) for n in names)


def summarize(change: Change) -> str:
    """One sentence: what the change does, without SQL."""
    match change:
        case CreateSchema(name=name):
            return f"Creates schema {_c(name)}"
        case CreateExtension(extension=ext):
            return f"Installs extension {_c(ext.name)}"
        case SetExtensionSchema(name=name):
            return f"Moves extension {_c(name)} to another schema"
        case CreateEnum(enum=enum):
            return f"Creates list of values {_c(enum.name)}: {', '.join(enum.values)}"
        case AddEnumValue(enum=enum, value=value):
            return f"Adds value {_c(value)} to {_c(enum)}"
        case ReplaceEnum(old=old, new=new):
            gone = [v for v in old.values if v not in new.values]
            what = f"removes {', '.join(_c(v) for v in gone)}" if gone else "reorders its values"
            return f"Rebuilds list of values {_c(new.name)} ({what})"
        case DropEnum(enum=enum):
            return f"Removes list of values {_c(enum.name)}"
        case CreateTable(definition=table):
            return f"Creates table {_c(table.name)} ({len(table.columns)} columns)"
        case DropTable(definition=table):
            return f"Deletes table {_c(table.name)} and all its data"
        case RenameTable(old=old, new=new):
            return f"Renames table {_c(old)} to {_c(new)}"
        case SetStorage(table=table, set=set_, reset=reset):
            parts = [f"{name} = {value}" for name, value in set_] + [f"{name} back to its default" for name in reset]
            return f"Sets storage parameters of {_c(table)}: {', '.join(parts)}"
        case SetReplicaIdentity(table=table, identity=identity, index=index):
            what = f"the key of index {_c(index)}" if index else {"default": "the primary key", "full": "whole rows",
                                                                    "nothing": "nothing"}[identity]
            return f"Makes logical replication log {what} of the updated and deleted rows of {_c(table)}"
        case AddColumn(table=table, column=column):
            return f"Adds column {_c(column.name)} to {_c(table)}"
        case DropColumn(table=table, column=column):
            return f"Deletes column {_c(column.name)} from {_c(table)} and its data"
        case RenameColumn(table=table, old=old, new=new):
            return f"Renames column {_c(old)} of {_c(table)} to {_c(new)}"
        case AlterColumn():
            return f"Changes column {_c(change.new.name)} of {_c(change.table)}: {_alterations(change)}"
        case AddPrimaryKey(table=table, key=key):
            return f"Makes {_columns(key.columns)} the primary key of {_c(table)}"
        case DropPrimaryKey(table=table):
            return f"Removes the primary key of {_c(table)}"
        case AddUnique(table=table, constraint=unique):
            return f"Requires {_columns(unique.columns)} to be unique in {_c(table)}"
        case DropUnique(table=table, constraint=unique):
            return f"No longer requires {_columns(unique.columns)} to be unique in {_c(table)}"
        case ReplaceKey(table=table, old=old, new=model.PrimaryKey() as key):
            return (f"Makes {_columns(key.columns)} the primary key of {_c(table)}{_options(key)} "
                    f"(was {_columns(old.columns)}{_options(old)})")
        case ReplaceKey(table=table, old=old, new=new):
            return (f"Requires {_columns(new.columns)} to be unique in {_c(table)}{_options(new)} "
                    f"(was {_columns(old.columns)}{_options(old)})")
        case AddCheck(table=table, check=check):
            return f"Adds rule {_c(check.name)} to {_c(table)}"
        case DropCheck(table=table, check=check):
            return f"Removes rule {_c(check.name)} from {_c(table)}"
        case AddForeignKey(table=table, foreign_key=fk):
            return f"Links {_c(table)} ({_columns(fk.columns)}) to {_c(fk.ref_table)}"
        case DropForeignKey(table=table, foreign_key=fk):
            return f"Unlinks {_c(table)} ({_columns(fk.columns)}) from {_c(fk.ref_table)}"
        case AlterForeignKey(table=table, new=fk):
            timing = "initially deferred" if fk.initially_deferred else "deferrable" if fk.deferrable else "immediate"
            return f"Makes the link from {_c(table)} ({_columns(fk.columns)}) to {_c(fk.ref_table)} {timing}"
        case ValidateConstraint(table=table, constraint=constraint):
            return f"Checks existing rows of {_c(table)} against {_c(constraint.name)}"
        case RenameConstraint(table=table, old=old, new=new):
            return f"Renames constraint {_c(old)} of {_c(table)} to {_c(new)}"
        case CreateIndex(table=table, index=index):
            return f"Creates index {_c(index.name)} on {_c(table)} concurrently"
        case DropIndex(table=table, index=index):
            return f"Drops index {_c(index.name)} from {_c(table)} concurrently"
        case ReplaceIndex(table=table, new=index):
            return f"Rebuilds index {_c(index.name)} on {_c(table)} with a new definition, concurrently"
        case RenameIndex(old=old, new=new):
            return f"Renames index {_c(old)} to {_c(new)}"
        case SetComment():
            return _comment(change)
        case PromoteColumn(table=table, column=column, trigger=p, backfill=backfill):
            existing = " for existing rows," if backfill else ""
            dropped = ", then removes the key from the JSON" if p.drop_key and backfill else ""
            return (f"Fills {_c(f'{table}.{column.name}')} from {_c(f'{p.source_column}.{p.key}')}{existing} "
                    f"and keeps it filled while the application still writes the JSON key{dropped}")
        case DropSyncTrigger(trigger=t):
            return (f"Stops copying {_c(f'{t.source_column}.{t.key}')} into {_c(f'{t.table}.{t.column}')}: "
                    "the application writes the column itself")
        case RenameSyncTrigger(trigger=t):
            return (f"Renames the sync trigger of {_c(f'{t.table}.{t.column}')} after its table's new name")
        case _:
            assert_never(change)


def _options(key: model.PrimaryKey | model.UniqueConstraint) -> str:
    """What sets a key apart beyond its columns: NULLs counted equal, INCLUDE columns, when it is checked."""
    parts = []
    if isinstance(key, model.UniqueConstraint) and key.nulls_not_distinct:
        parts.append("NULLs counted as equal")
    if key.include:
        parts.append(f"including {_columns(key.include)}")
    if key.deferrable:
        parts.append("checked at commit" if key.initially_deferred else "deferrable")
    return "".join(f", {part}" for part in parts)


def _comment(change: SetComment) -> str:
    what = f"{change.table}.{change.name}" if change.target == "column" else change.name
    verb = "Removes the description of" if change.comment is None else "Updates the description of"
    return f"{verb} {change.target} {_c(what)}"


def _default(old: model.Column, new: model.Column) -> str:
    if new.default is not None:
        return f"default {_c(new.default)}"
    if new.type.lower() in SERIAL_TYPES:
        return "numbered by a sequence of its own (serial)"
    return "no longer serial" if old.type.lower() in SERIAL_TYPES else "no default"


def _alterations(change: AlterColumn) -> str:
    old, new = change.old, change.new
    parts = []
    if "type" in change.changes:
        parts.append(f"type {_c(old.type)} → {_c(new.type)}")
    if "nullable" in change.changes:
        parts.append("now optional" if new.nullable else "now required")
    if "default" in change.changes:
        parts.append(_default(old, new))
    if "identity" in change.changes:
        parts.append(f"identity {new.identity}" if new.identity else "no longer an identity")
    if "generated" in change.changes:
        parts.append(f"computed as {_c(new.generated)}" if new.generated else "no longer computed")
    if "collation" in change.changes:
        parts.append(f"collation {_c(new.collation or 'default')}")
    return ", ".join(parts)
