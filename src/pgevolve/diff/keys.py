"""Constraints and indexes of a table that exists on both sides, matched by name.

- same name, same definition: nothing (or VALIDATE when the actual one is NOT VALID);
- same name, other definition: a replacement that never leaves the table without
  it (PRIMARY KEY, UNIQUE, index: built under a temporary name first, then
  swapped), ALTER CONSTRAINT for a foreign key whose deferrability alone
  changed, else drop + add (an INVALID index: drop + create);
- other name, same definition: a rename (a renamed table keeps its old
  constraint and index names; renaming is cheaper than rebuilding, and a
  primary key other tables reference cannot simply be dropped);
- otherwise: drop what is only actual, add what is only desired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterForeignKey,
    Change,
    CreateIndex,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    RenameConstraint,
    RenameIndex,
    ReplaceIndex,
    ReplaceKey,
    SetComment,
    ValidateConstraint,
)
from pgevolve.diff.reuse import reuse_indexes
from pgevolve.sqltext.expression_facts import referenced_columns

T = TypeVar("T", model.PrimaryKey, model.UniqueConstraint, model.CheckConstraint, model.ForeignKey, model.Index)


@dataclass(frozen=True, slots=True)
class _Kind(Generic[T]):
    add: Callable[[str, T], Change]
    drop: Callable[[str, T], Change]
    rename: Callable[[str, str, str], Change]
    validate: Callable[[str, T], Change] | None = None  # None: an invalid one is rebuilt
    # Same name, other definition, no recreated column under it: the changes that
    # turn old into new in place, or None when only drop + add can.
    alter: Callable[[str, T, T], list[Change] | None] | None = None


def _rename_constraint(table: str, old: str, new: str) -> Change:
    return RenameConstraint(table=table, old=old, new=new)


def _replace_key(table: str, old: Any, new: Any) -> list[Change]:
    return [ReplaceKey(table=table, old=old, new=new)]


def _replace_index(table: str, old: model.Index, new: model.Index) -> list[Change] | None:
    # An INVALID old index protects nothing: diff.reuse turns this back into drop + create,
    # unless an interrupted replacement already built the new index aside.
    return [ReplaceIndex(table=table, old=old, new=new)]


def _alter_foreign_key(table: str, old: model.ForeignKey, new: model.ForeignKey) -> list[Change] | None:
    """ALTER CONSTRAINT changes a foreign key's deferrability (PostgreSQL allows it for foreign keys only)."""
    if _definition(_untimed(old)) != _definition(_untimed(new)):
        return None
    validate = [] if old.valid or not new.valid else [ValidateConstraint(table=table, constraint=new)]
    return [AlterForeignKey(table=table, old=old, new=new), *validate]


PRIMARY_KEY: _Kind[model.PrimaryKey] = _Kind(
    add=lambda t, k: AddPrimaryKey(table=t, key=k), drop=lambda t, k: DropPrimaryKey(table=t, key=k),
    rename=_rename_constraint, alter=_replace_key,
)
UNIQUE: _Kind[model.UniqueConstraint] = _Kind(
    add=lambda t, u: AddUnique(table=t, constraint=u), drop=lambda t, u: DropUnique(table=t, constraint=u),
    rename=_rename_constraint, alter=_replace_key,
)
CHECK: _Kind[model.CheckConstraint] = _Kind(
    add=lambda t, c: AddCheck(table=t, check=c), drop=lambda t, c: DropCheck(table=t, check=c),
    rename=_rename_constraint, validate=lambda t, c: ValidateConstraint(table=t, constraint=c),
)
FOREIGN_KEY: _Kind[model.ForeignKey] = _Kind(
    add=lambda t, f: AddForeignKey(table=t, foreign_key=f), drop=lambda t, f: DropForeignKey(table=t, foreign_key=f),
    rename=_rename_constraint, validate=lambda t, f: ValidateConstraint(table=t, constraint=f),
    alter=_alter_foreign_key,
)
INDEX: _Kind[model.Index] = _Kind(
    add=lambda t, i: CreateIndex(table=t, index=i), drop=lambda t, i: DropIndex(table=t, index=i),
    rename=lambda t, old, new: RenameIndex(table=t, old=old, new=new), alter=_replace_index,
)


def diff_keys(old: model.Table, new: model.Table, recreated: frozenset[str]) -> list[Change]:
    """Constraint and index changes of one table; ``recreated``: columns dropped and added again."""
    table = new.name
    pk_old = (old.primary_key,) if old.primary_key else ()
    pk_new = (new.primary_key,) if new.primary_key else ()
    keys = _primary_key_swap(_diff_named(table, pk_old, pk_new, PRIMARY_KEY, recreated), recreated)
    keys += _diff_named(table, old.uniques, new.uniques, UNIQUE, recreated)
    checks = _replacing(_diff_named(table, old.checks, new.checks, CHECK, recreated))
    foreign_keys = _diff_named(table, old.foreign_keys, new.foreign_keys, FOREIGN_KEY, recreated)
    indexes = _diff_named(table, old.indexes, new.indexes, INDEX, recreated)
    desired_names = {i.name for i in new.indexes}
    spare = {c.index.name: c.index for c in indexes if isinstance(c, DropIndex) and c.index.valid
             and c.index.name not in desired_names and not _affected(c.index, recreated)}
    keys, indexes = reuse_indexes(keys, indexes, spare)
    changes = keys + checks + foreign_keys + indexes
    return changes + _index_comments(table, old.indexes, new.indexes, changes)


def _primary_key_swap(changes: list[Change], recreated: frozenset[str]) -> list[Change]:
    """A table has one primary key: dropping it and adding another (of another name) is a swap too."""
    match changes:
        case [DropPrimaryKey(table=table, key=old), AddPrimaryKey(key=new)] if not _affected(old, recreated):
            return [ReplaceKey(table=table, old=old, new=new)]
    return changes


def _replacing(changes: list[Change]) -> list[Change]:
    """An AddCheck that follows the DropCheck of the same name records what it replaces (to spot loosening)."""
    dropped = {c.check.name: c.check for c in changes if isinstance(c, DropCheck)}
    return [dataclasses.replace(c, replaces=dropped.get(c.check.name)) if isinstance(c, AddCheck) else c
            for c in changes]


def _untimed(fk: model.ForeignKey) -> model.ForeignKey:
    return dataclasses.replace(fk, deferrable=False, initially_deferred=False)


def _definition(item: Any) -> Any:
    """The item with what is not its definition blanked: name, validity, comment."""
    blank: dict[str, object] = {"name": ""}
    names = {f.name for f in dataclasses.fields(item)}
    blank |= {"valid": True} if "valid" in names else {}
    blank |= {"comment": None} if "comment" in names else {}
    return dataclasses.replace(item, **blank)


def _kept(old: T, new: T, recreated: frozenset[str]) -> bool:
    """True when the actual item can stay (possibly after VALIDATE or a rename)."""
    if old != new and _definition(old) != _definition(new):
        return False
    return not _affected(new, recreated)


def _affected(item: Any, recreated: frozenset[str]) -> bool:
    """A column dropped and added again takes its indexes and constraints with it."""
    if not recreated:
        return False
    depends_on = _columns_of(item)
    return bool(depends_on & recreated) or "*" in depends_on


def _diff_named(
    table: str, old: Sequence[T], new: Sequence[T], kind: _Kind[T], recreated: frozenset[str]
) -> list[Change]:
    old_by, new_by = {o.name: o for o in old}, {n.name: n for n in new}
    drops: list[Change] = []
    middle: list[Change] = []
    adds: list[Change] = []
    for name in sorted(old_by.keys() & new_by.keys()):
        a, d = old_by[name], new_by[name]
        invalid = not getattr(a, "valid", True) and getattr(d, "valid", True)
        if not _kept(a, d, recreated) or (invalid and kind.validate is None):
            altered = kind.alter(table, a, d) if kind.alter and not _affected(a, recreated) else None
            if altered is not None:
                adds += altered
                continue
            drops.append(kind.drop(table, a))
            adds.append(kind.add(table, d))
        elif invalid and kind.validate is not None:
            middle.append(kind.validate(table, d))
    only_old = [old_by[n] for n in sorted(old_by.keys() - new_by.keys())]
    only_new = [new_by[n] for n in sorted(new_by.keys() - old_by.keys())]
    for a in only_old:
        same = next((d for d in only_new if _kept(a, d, recreated) and getattr(a, "valid", True)), None)
        if same is None:
            drops.append(kind.drop(table, a))
            continue
        only_new.remove(same)
        middle.append(kind.rename(table, a.name, same.name))
    adds += [kind.add(table, d) for d in only_new]
    return drops + middle + adds


def _columns_of(item: Any) -> frozenset[str]:
    """Columns an item depends on; expressions are parsed (an unreadable one counts as all)."""
    names: set[str] = set(getattr(item, "columns", ()))
    expressions: list[str] = []
    if isinstance(item, model.CheckConstraint):
        expressions.append(item.expression)
    if isinstance(item, model.Index):
        names |= {k.column for k in item.keys if k.column} | set(item.include)
        expressions += [k.expression for k in item.keys if k.expression] + ([item.where] if item.where else [])
    for expression in expressions:
        found = referenced_columns(expression)
        names |= found if found is not None else {"*"}
    return frozenset(names)


def _index_comments(table: str, old: Sequence[model.Index], new: Sequence[model.Index],
                    changes: list[Change]) -> list[Change]:
    """SetComment for indexes that stay (a created index carries its comment itself)."""
    created = {c.index.name for c in changes if isinstance(c, CreateIndex)}
    created |= {c.new.name for c in changes if isinstance(c, ReplaceIndex)}
    renamed = {c.new: c.old for c in changes if isinstance(c, RenameIndex)}
    old_by = {i.name: i for i in old}
    result: list[Change] = []
    for index in model.sort_by_name(new):
        before = old_by.get(renamed.get(index.name, index.name))
        if index.name not in created and before is not None and before.comment != index.comment:
            result.append(SetComment(target="index", table=table, name=index.name, comment=index.comment))
    return result
