"""Enum types: create, drop, add values in place, or rebuild when values go away or move."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddEnumValue,
    Change,
    CreateEnum,
    CreateIndex,
    DropCheck,
    DropEnum,
    DropIndex,
    RenameIndex,
    ReplaceEnum,
    ReplaceIndex,
    SetComment,
    ValidateConstraint,
)
from pgevolve.sqltext.expression_facts import cast_types
from pgevolve.sqltext.type_names import enum_reference


def diff_enums(actual: model.Database, desired: model.Database) -> list[Change]:
    """Changes that turn the actual enums into the desired ones."""
    changes: list[Change] = []
    for name in sorted({e.name for e in actual.enums} | {e.name for e in desired.enums}):
        old, new = actual.enum(name), desired.enum(name)
        if old is None and new is not None:
            changes.append(CreateEnum(enum=new))
        elif new is None and old is not None:
            changes.append(DropEnum(enum=old))
        elif old is not None and new is not None:
            changes += _values(old, new, actual)
            if old.comment != new.comment:
                changes.append(SetComment(target="type", table=None, name=name, comment=new.comment))
    return changes


def _values(old: model.EnumType, new: model.EnumType, actual: model.Database) -> list[Change]:
    if old.values == new.values:
        return []
    if _is_subsequence(old.values, new.values):
        return _insertions(old, new)
    # PostgreSQL can add enum values but never remove or reorder them.
    return [ReplaceEnum(old=old, new=new, columns=columns_using(actual, old.name))]


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    remaining = iter(long)
    return all(value in remaining for value in short)


def _insertions(old: model.EnumType, new: model.EnumType) -> list[Change]:
    """ADD VALUE for each new value, left to right, placed next to a value that already exists."""
    present = list(old.values)
    changes: list[Change] = []
    for i, value in enumerate(new.values):
        if value in present:
            continue
        if i == 0:
            changes.append(AddEnumValue(enum=new.name, value=value, before=present[0] if present else None))
            present.insert(0, value)
            continue
        at = present.index(new.values[i - 1]) + 1
        after = new.values[i - 1] if at < len(present) else None  # appended at the end: no AFTER
        changes.append(AddEnumValue(enum=new.name, value=value, after=after))
        present.insert(at, value)
    return changes


def columns_using(db: model.Database, enum: str) -> tuple[tuple[str, model.Column], ...]:
    """(table, column) of every column whose type is the enum or an array of it."""
    names = frozenset({enum})
    return tuple(
        (table.name, column)
        for table in model.sort_by_name(db.tables)
        for column in table.columns
        if enum_reference(column.type, names, db.schema)
    )


def absorb_enum_dependents(changes: list[Change], actual: model.Database, desired: model.Database) -> list[Change]:
    """Indexes and CHECKs whose expressions cast to a rebuilt enum go into its ReplaceEnum.

    Converting a column to the new type re-parses them, and ``'a'::status`` then
    names the old type: PostgreSQL has no operator between the two types. So they
    are dropped and made again (their desired version, if any) in the transaction
    that converts the columns; every other change about them is left out.
    """
    replaced = {c.new.name for c in changes if isinstance(c, ReplaceEnum)}
    if not replaced:
        return changes
    indexes: list[tuple[str, model.Index, model.Index | None]] = []
    checks: list[tuple[str, model.CheckConstraint, model.CheckConstraint | None]] = []
    renamed = {(c.table, c.old): c.new for c in changes if isinstance(c, RenameIndex)}
    for table in model.sort_by_name(actual.tables):
        wanted = desired.table(table.name)
        for index in model.sort_by_name(table.indexes):
            expressions = [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else [])
            if _casts_to(expressions, replaced):
                name = renamed.get((table.name, index.name), index.name)
                again = next((i for i in wanted.indexes if i.name == name), None) if wanted else None
                indexes.append((table.name, index, again))
        for check in model.sort_by_name(table.checks):
            if _casts_to([check.expression], replaced):
                again_check = next((c for c in wanted.checks if c.name == check.name), None) if wanted else None
                checks.append((table.name, check, again_check))
    absorbed = {(t, "index", i.name) for t, i, _ in indexes} | {(t, "index", i.name) for t, _, i in indexes if i}
    absorbed |= {(t, "check", c.name) for t, c, _ in checks} | {(t, "check", c.name) for t, _, c in checks if c}
    result: list[Change] = []
    for change in changes:
        if isinstance(change, ReplaceEnum):  # each dependent goes with the first enum it casts to
            mine = {e.name for e in (change.old, change.new)}
            own_indexes = [d for d in indexes if _casts_to(_texts(d[1]), mine)]
            own_checks = [d for d in checks if _casts_to([d[1].expression], mine)]
            indexes = [d for d in indexes if d not in own_indexes]
            checks = [d for d in checks if d not in own_checks]
            change = replace(change, indexes=tuple(own_indexes), checks=tuple(own_checks))
        elif _about(change) & absorbed:
            continue
        result.append(change)
    return result


def _texts(index: model.Index) -> list[str]:
    return [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else [])


def _about(change: Change) -> set[tuple[str, str, str]]:
    """(table, "index" | "check", name) of the indexes and CHECKs a change drops, makes or renames."""
    match change:
        case DropIndex(table=table, index=index) | CreateIndex(table=table, index=index):
            return {(table, "index", index.name)}
        case ReplaceIndex(table=table, old=old, new=new):
            return {(table, "index", old.name), (table, "index", new.name)}
        case RenameIndex(table=table, old=old, new=new):
            return {(table, "index", old), (table, "index", new)}
        case DropCheck(table=table, check=check) | AddCheck(table=table, check=check):
            return {(table, "check", check.name)}
        case ValidateConstraint(table=table, constraint=model.CheckConstraint() as check):
            return {(table, "check", check.name)}
        case SetComment(target="index", table=str() as table, name=name):
            return {(table, "index", name)}
    return set()


def _casts_to(expressions: list[str], enums: set[str]) -> bool:
    """True when an expression casts to one of the enums (or cannot be read)."""
    for expression in expressions:
        found = cast_types(expression)
        if found is None or found & enums:
            return True
    return False
