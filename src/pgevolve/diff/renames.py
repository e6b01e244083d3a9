"""Rename hints: turn them into RenameTable/RenameColumn and rewrite the actual model to match.

A hint applies when the old name exists in the actual database and the new
one does not (and the desired model has the new name, not the old one);
otherwise it is ignored, so a hint kept in the YAML after the apply is harmless.
After the renames, the actual model is rewritten as PostgreSQL would show it
(columns in keys and indexes, column references in index expressions,
predicates and CHECKs, foreign keys of other tables that point at it), and
everything else is compared by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pgevolve import model
from pgevolve.changes import Change, RenameColumn, RenameTable
from pgevolve.sqltext.expression_facts import rename_column_refs
from pgevolve.sqltext.ident import sequence_name
from pgevolve.sqltext.type_names import SERIAL_TYPES

Swap = Callable[[tuple[str, ...]], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Renamed:
    changes: tuple[Change, ...]
    actual: model.Database  # the actual model after the renames


def apply_renames(actual: model.Database, desired: model.Database, hints: model.Hints) -> Renamed:
    """The renames the hints call for, and the actual model as it will be after them."""
    changes: list[Change] = []
    for new, old in sorted(hints.table_renames.items()):
        source = actual.table(old)
        if source is not None and _applies(source, actual.table(new), desired.table(new), desired.table(old)):
            serials = [c.name for c in source.columns if _is_serial(c)]
            changes.append(RenameTable(old=old, new=new, sequences=_sequences(old, new, serials, serials)))
            actual = _rename_table(actual, old, new)
    for (table_name, new), old in sorted(hints.column_renames.items()):
        table, wanted = actual.table(table_name), desired.table(table_name)
        if table is None or wanted is None:
            continue
        column = table.column(old)
        if column is not None and _applies(column, table.column(new), wanted.column(new), wanted.column(old)):
            serial = _is_serial(column)
            sequences = _sequences(table_name, table_name, [old], [new]) if serial else ()
            changes.append(RenameColumn(table=table_name, old=old, new=new, sequences=sequences))
            actual = _rename_column(actual, table_name, old, new)
    return Renamed(tuple(changes), actual)


def _is_serial(column: model.Column) -> bool:
    # The catalog spells a column "serial" only when its sequence has PostgreSQL's default name.
    return column.type.lower() in SERIAL_TYPES


def _sequences(old_table: str, new_table: str, old_columns: list[str],
               new_columns: list[str]) -> tuple[tuple[str, str], ...]:
    """Serial sequences to rename so that their names follow the table's and column's (as a fresh build names them).

    The default keeps working either way (it names the sequence by OID), but the catalog of a
    database built from the YAML would differ, and the column would no longer read back as serial.
    """
    pairs = ((sequence_name(old_table, a), sequence_name(new_table, b)) for a, b in zip(old_columns, new_columns,
                                                                                         strict=True))
    return tuple((a, b) for a, b in pairs if a != b)


def _applies(old_actual: object, new_actual: object, new_desired: object, old_desired: object) -> bool:
    return old_actual is not None and new_actual is None and new_desired is not None and old_desired is None


def _points_at(fk: model.ForeignKey, schema: str, table: str) -> bool:
    return fk.ref_table == table and fk.ref_schema in (None, schema)


def _rename_table(db: model.Database, old: str, new: str) -> model.Database:
    def retarget(fk: model.ForeignKey) -> model.ForeignKey:
        return replace(fk, ref_table=new) if _points_at(fk, db.schema, old) else fk

    tables = [
        replace(t, name=new if t.name == old else t.name, foreign_keys=tuple(map(retarget, t.foreign_keys)))
        for t in db.tables
    ]
    # A trigger moves with its table and keeps its name (diff_promotions renames it).
    syncs = sorted((replace(s, table=new) if s.table == old else s for s in db.sync_triggers),
                   key=lambda s: (s.table, s.column))
    return replace(db, tables=model.sort_by_name(tables), sync_triggers=tuple(syncs))


def _rename_column(db: model.Database, table: str, old: str, new: str) -> model.Database:
    def swap(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if n == old else n for n in names)

    def retarget(fk: model.ForeignKey) -> model.ForeignKey:
        return replace(fk, ref_columns=swap(fk.ref_columns)) if _points_at(fk, db.schema, table) else fk

    tables = []
    for t in db.tables:
        t = replace(t, foreign_keys=tuple(map(retarget, t.foreign_keys)))
        tables.append(_rename_in_table(t, swap, Rewrite(old, new)) if t.name == table else t)
    return replace(db, tables=tuple(tables))


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A column's references in an expression, renamed: PostgreSQL follows the column by number,
    so after RENAME COLUMN an index or CHECK on it prints the new name and needs no rebuild."""

    old: str
    new: str

    def __call__(self, expression: str | None) -> str | None:
        if expression is None:
            return None
        renamed = rename_column_refs(expression, self.old, self.new)
        return expression if renamed is None else renamed


def _rename_in_table(table: model.Table, swap: Swap, rewrite: Rewrite) -> model.Table:
    """Every column list and expression of the table with the column renamed (defaults aside: they cannot
    reference columns)."""
    renamed_columns = tuple(replace(c, name=swap((c.name,))[0], generated=rewrite(c.generated)) for c in table.columns)
    return replace(
        table,
        columns=renamed_columns,
        primary_key=(replace(table.primary_key, columns=swap(table.primary_key.columns),
                             include=swap(table.primary_key.include)) if table.primary_key else None),
        uniques=tuple(replace(u, columns=swap(u.columns), include=swap(u.include)) for u in table.uniques),
        checks=tuple(replace(c, expression=rewrite(c.expression) or c.expression) for c in table.checks),
        foreign_keys=tuple(replace(fk, columns=swap(fk.columns)) for fk in table.foreign_keys),
        indexes=tuple(_rename_in_index(i, swap, rewrite) for i in table.indexes),
    )


def _rename_in_index(index: model.Index, swap: Swap, rewrite: Rewrite) -> model.Index:
    keys = tuple(replace(k, column=swap((k.column,))[0]) if k.column else replace(k, expression=rewrite(k.expression))
                 for k in index.keys)
    return replace(index, keys=keys, include=swap(index.include), where=rewrite(index.where))
