"""Each change in plain words, for a product manager reading a pull request."""

from __future__ import annotations

from typing import assert_never

from pgevolve import model
from pgevolve.changes import (
    AbandonShadow,
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
    CreatePrerequisite,
    CreateSchema,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropRetiredColumn,
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
    RetypeOnline,
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


def _referenced(fk: model.ForeignKey) -> str:
    """The referenced table; with its schema when that is another one."""
    return f"{fk.ref_schema}.{fk.ref_table}" if fk.ref_schema else fk.ref_table


def summarize(change: Change) -> str:
    """One sentence: what the change does, without SQL."""
    match change:
        case CreateSchema(name=name):
            return f"Creates schema {_c(name)}"
        case CreateExtension(extension=ext):
            return f"Installs extension {_c(ext.name)}"
        case SetExtensionSchema(name=name):
            return f"Moves extension {_c(name)} to another schema"
        case CreatePrerequisite(prerequisite=item):
            return f"Creates {item.kind} {item.name} (prerequisites.sql line {item.line})"
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
        case AddCheck(table=table, check=check, replaces=model.CheckConstraint()):
            return f"Changes rule {_c(check.name)} of {_c(table)}"
        case AddCheck(table=table, check=check):
            return f"Adds rule {_c(check.name)} to {_c(table)}"
        case DropCheck(table=table, check=check):
            return f"Removes rule {_c(check.name)} from {_c(table)}"
        case AddForeignKey(table=table, foreign_key=fk, replaces=model.ForeignKey()):
            return f"Changes the link from {_c(table)} ({_columns(fk.columns)}) to {_c(fk.ref_table)}"
        case AddForeignKey(table=table, foreign_key=fk):
            return f"Links {_c(table)} ({_columns(fk.columns)}) to {_c(_referenced(fk))}"
        case DropForeignKey(table=table, foreign_key=fk):
            return f"Unlinks {_c(table)} ({_columns(fk.columns)}) from {_c(_referenced(fk))}"
        case AlterForeignKey(table=table, new=fk):
            timing = "initially deferred" if fk.initially_deferred else "deferrable" if fk.deferrable else "immediate"
            return f"Makes the link from {_c(table)} ({_columns(fk.columns)}) to {_c(fk.ref_table)} {timing}"
        case ValidateConstraint(table=table, constraint=constraint):
            return f"Checks existing rows of {_c(table)} against {_c(constraint.name)}"
        case RenameConstraint(table=table, old=old, new=new):
            return f"Renames constraint {_c(old)} of {_c(table)} to {_c(new)}"
        case CreateIndex(table=table, index=index):
            return f"Creates {_index(table, index)}"
        case DropIndex(table=table, index=index):
            return f"Drops {_index(table, index)}"
        case ReplaceIndex(table=table, old=old, new=new):
            return f"Rebuilds {_index(table, old)} as {_what(new)}"
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
        case RetypeOnline():
            return _online(change)
        case DropRetiredColumn(column=r):
            return (f"Drops {_c(f'{r.table}.{r.name}')}, the old column of an online type change of "
                    f"{_c(f'{r.table}.{r.replaced_by}')} that an earlier apply swapped")
        case AbandonShadow(shadow=s):
            return (f"Removes the unfinished online type change of {_c(f'{s.table}.{s.column}')} that an "
                    "interrupted apply left (the YAML no longer asks for it as it was)")
        case _:
            assert_never(change)


def _index(table: str, index: model.Index) -> str:
    """``unique index `t_expr_idx` on `t` (`(data ->> 'vin'::text)`) where `...```: the name and what it indexes."""
    return f"{'unique ' if index.unique else ''}index {_c(index.name)} on {_c(table)} {_what(index)}"


def _what(index: model.Index) -> str:
    words = f"({', '.join(_key(k) for k in index.keys)})"
    if index.method != "btree":
        words += f" using {index.method}"
    if index.include:
        words += f" including ({_columns(index.include)})"
    if index.nulls_not_distinct:
        words += ", NULLs counted as equal"
    if index.where:
        words += f" where {_c(index.where)}"
    return words


def _key(key: model.IndexKey) -> str:
    words = _c(key.column or f"{key.expression}")
    if key.opclass:
        words += f" {key.opclass}"
    if key.descending:
        words += " desc"
    if key.nulls_first is not None:
        words += " nulls first" if key.nulls_first else " nulls last"
    return words


def _online(change: RetypeOnline) -> str:
    """Which columns change, online, and why: the rows of the largest table against the threshold."""
    columns = ", ".join(f"{_c(f'{t.name}.{c.new.name}')} ({_c(c.old.type)} → {_c(c.new.type)})"
                        for t in change.tables for c in t.columns)
    sized = [(t.rows.rows, t.name, t.rows.source) for t in change.tables if t.rows is not None]
    resumed = any(c.progress is not None for t in change.tables for c in t.columns)
    why = []
    if sized:
        rows, table, source = max(sized)
        estimate = "≈" if source == "statistics" else "at most ≈"
        why.append(f"{_c(table)} has {estimate}{rows:,} rows, online from {change.online_from_rows:,}")
    if resumed:
        why.append("resuming an interrupted apply")
    return (f"Changes the type of {columns} online: shadow column, batched backfill, one short swap"
            + (f" ({'; '.join(why)})" if why else ""))


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
    if "recomputed" in change.changes:
        parts.append("computed again, as before, after the type change of a column it reads")
    return ", ".join(parts)
