"""What a pull request changes for the data: the YAML at the base against the working tree, one line each.

Compared on the YAML, not on the database, so a change that needs no DDL (a
property added to a `types` shape, a description) is named like any other.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pgevolve.review.shape_changes import shape_lines
from pgevolve.review.terms import c, column_terms, description, index_terms, is_required, plain, values
from pgevolve.source.project import ColumnSpec, Project, TableSpec


def data_changes(base: Project | None, head: Project) -> list[str]:
    """One Markdown line per change, project first, then tables, then shapes (each by name)."""
    base_tables = {t.name: t for t in base.tables} if base else {}
    lines = _project_lines(base, head)
    matched: set[str] = set()
    head_names = {t.name for t in head.tables}
    for table in sorted(head.tables, key=lambda t: t.name):
        old = base_tables.get(table.name)
        if old is None and table.renamed_from in base_tables and table.renamed_from not in head_names:
            old = base_tables[table.renamed_from]
            lines.append(f"Table {c(old.name)} is renamed {c(table.name)} (its data is kept).")
        if old is None:
            lines.append(_new_table(table))
            continue
        matched.add(old.name)
        lines += _table_lines(old, table)
    for name in sorted(set(base_tables) - matched - {t.name for t in head.tables}):
        lines.append(f"Table {c(name)} is removed, with all its rows.")
    lines += shape_lines(base.shapes if base else {}, head)
    return lines


def _project_lines(base: Project | None, head: Project) -> list[str]:
    if base is None:
        return []
    lines = []
    if base.schema != head.schema:
        lines.append(f"The project moves to PostgreSQL schema {c(head.schema)} (was {c(base.schema)}).")
    for name in sorted(set(head.extensions) - set(base.extensions)):
        lines.append(f"Extension {c(name)} is installed.")
    for name in sorted(set(base.extensions) - set(head.extensions)):
        lines.append(f"Extension {c(name)} is no longer listed (it stays installed).")
    for name in sorted(set(head.enums) | set(base.enums)):
        old, new = base.enums.get(name), head.enums.get(name)
        if old is None and new is not None:
            lines.append(f"New list of values {c(name)}: {values(new.values)}.")
        elif new is None and old is not None:
            lines.append(f"List of values {c(name)} is removed.")
        elif old is not None and new is not None:
            lines += _value_list_lines(c(name), old.values, new.values)
    return lines


def _value_list_lines(what: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[str]:
    added = [v for v in new if v not in old]
    gone = [v for v in old if v not in new]
    lines = []
    if added:
        lines.append(f"{what} also allows {', '.join(c(v) for v in added)}.")
    if gone:
        lines.append(f"{what} no longer allows {', '.join(c(v) for v in gone)} (existing rows that hold it must "
                     "change first).")
    if not added and not gone and old != new:
        lines.append(f"{what} lists its values in a new order: {values(new)}.")
    return lines


def _new_table(table: TableSpec) -> str:
    columns = ", ".join(f"{c(col.name)} ({column_terms(col)})" for col in table.columns)
    return f"New table {c(table.name)}{description(table.description)}. Columns: {columns}."


def _table_lines(old: TableSpec, new: TableSpec) -> list[str]:
    lines = []
    if old.description != new.description:
        lines.append(f"{c(new.name)} is now described as: {plain(new.description or '(nothing)')}.")
    old_columns = {col.name: col for col in old.columns}
    new_names = {col.name for col in new.columns}
    kept: set[str] = set()
    for column in new.columns:
        before = old_columns.get(column.name)
        if before is None and column.renamed_from in old_columns and column.renamed_from not in new_names:
            before = old_columns[column.renamed_from]
            lines.append(f"{c(new.name + '.' + before.name)} is renamed {c(column.name)} (its values are kept).")
        if before is None:
            lines.append(_new_column(new.name, column))
            continue
        kept.add(before.name)
        lines += column_lines(new.name, before, column)
    for name in [n for n in old_columns if n not in kept and n not in new_names]:
        lines.append(f"{c(new.name)} loses {c(name)} and the values it holds.")
    lines += _table_rule_lines(old, new)
    return lines


def _new_column(table: str, column: ColumnSpec) -> str:
    line = f"{c(table)} gains {c(column.name)} ({column_terms(column)}){description(column.description)}."
    if column.promoted_from:
        line += (" Existing rows get it from the JSON key in short batches, and writes that still set the key "
                 "keep it filled, so the application can switch to the column at its own pace.")
    if column.drop_key:
        line += " Once filled, the key is removed from the JSON (deletes data: needs `--allow-destructive`)."
    return line


def column_lines(table: str, old: ColumnSpec, new: ColumnSpec) -> list[str]:
    """What changed in one column, key by key of its YAML."""
    what = c(f"{table}.{new.name}")
    lines = []
    if old.type != new.type:
        converted = f", each value converted by {c(new.using)}" if new.using else ""
        lines.append(f"{what} changes type from {c(old.type)} to {c(new.type)}{converted}.")
    if is_required(old) != is_required(new):
        lines.append(f"{what} becomes {'required: every row must have a value' if is_required(new) else 'optional'}.")
    if old.enum != new.enum:
        if new.enum is None:
            lines.append(f"{what} accepts any value (no list of allowed values).")
        elif old.enum is None:
            lines.append(f"{what} accepts only {values(new.enum)}.")
        else:
            lines += _value_list_lines(what, old.enum, new.enum)
    lines += _attribute_lines(what, old, new)
    return lines


def _attribute_lines(what: str, old: ColumnSpec, new: ColumnSpec) -> list[str]:
    lines = []
    if old.default != new.default:
        lines.append(f"{what} now defaults to {c(str(new.default))}." if new.default is not None
                     else f"{what} no longer has a default.")
    if old.unique != new.unique:
        lines.append(f"{what} {'must be unique' if new.unique else 'no longer has to be unique'}.")
    if old.references != new.references:
        lines.append(f"{what} now links to {c(new.references)}." if new.references
                     else f"{what} no longer links to {c(old.references or '')}.")
    if old.check != new.check:
        lines.append(f"{what} gets the rule {c(new.check)}." if new.check
                     else f"{what} loses its rule {c(old.check or '')}.")
    if (old.shape, old.items) != (new.shape, new.items):
        holds = f"{c(new.shape)} details" if new.shape else f"a list of {c(new.items)}" if new.items else "any JSON"
        lines.append(f"{what} now holds {holds}.")
    if old.promoted_from != new.promoted_from and new.promoted_from:
        lines.append(f"{what} is filled from {c(new.promoted_from)}: existing rows are copied in batches, and new "
                     "writes of the JSON key keep it filled.")
    elif old.promoted_from and not new.promoted_from:
        lines.append(f"{what} is no longer copied from {c(old.promoted_from)}: the application writes it itself.")
    if new.drop_key and not old.drop_key:
        lines.append(f"Once {what} is filled, the key {c(new.promoted_from or '')} is removed from the JSON "
                     "(deletes data: needs `--allow-destructive`).")
    if old.description != new.description:
        lines.append(f"{what} is now described as: {plain(new.description or '(nothing)')}.")
    lines += _other_keys(what, old, new)
    return lines


# using: said with the type change it converts; without one it does nothing.
_DESCRIBED = {"type", "nullable", "primary_key", "enum", "default", "unique", "references", "check", "shape", "items",
              "promoted_from", "drop_key", "description", "renamed_from", "raw", "path", "name", "using"}


def _other_keys(what: str, old: ColumnSpec, new: ColumnSpec) -> list[str]:
    lines = []
    for field in fields(ColumnSpec):
        if field.name in _DESCRIBED:
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            lines.append(f"{what}: {field.name.replace('_', ' ')} {c(_show(before))} → {c(_show(after))}.")
    if old.primary_key != new.primary_key:
        lines.append(f"{what} {'becomes' if new.primary_key else 'is no longer'} the primary key.")
    return lines


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table_rule_lines(old: TableSpec, new: TableSpec) -> list[str]:
    lines = []
    before = {_index_key(i): i for i in old.indexes}
    after = {_index_key(i): i for i in new.indexes}
    for key in after.keys() - before.keys():
        lines.append(f"{c(new.name)} gets {index_terms(after[key])} (faster lookups; built without blocking writes).")
    for key in before.keys() - after.keys():
        lines.append(f"{c(new.name)} loses {index_terms(before[key])}.")
    if old.primary_key_columns != new.primary_key_columns:
        lines.append(f"{c(new.name)}'s primary key becomes {', '.join(c(n) for n in new.primary_key_columns)}.")
    for label, get in (("unique", lambda t: {u.columns for u in t.uniques}),
                       ("rule", lambda t: {k.expression for k in t.checks}),
                       ("link", lambda t: {(f.columns, f.ref_table) for f in t.foreign_keys})):
        gained, lost = get(new) - get(old), get(old) - get(new)
        lines += [f"{c(new.name)} gets a {label}: {_rule(item)}." for item in sorted(gained, key=str)]
        lines += [f"{c(new.name)} loses a {label}: {_rule(item)}." for item in sorted(lost, key=str)]
    return lines


def _index_key(index: Any) -> tuple[Any, ...]:
    return tuple(getattr(index, f.name) for f in fields(index) if f.name not in ("path", "description"))


def _rule(item: Any) -> str:
    if isinstance(item, str):
        return c(item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return f"{', '.join(c(n) for n in item[0])} → {c(item[1])}"
    return ", ".join(c(n) for n in item)
