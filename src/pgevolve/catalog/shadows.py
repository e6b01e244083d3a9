"""Online type changes an interrupted apply left behind, set aside from the tables they are in.

While an online type change runs, a table has a shadow column (and its copies of the column's
indexes, keys and CHECKs, under temporary names) that the YAML does not describe; once swapped,
the old column stays under another name until its own drop. The differ must see the table as
the application does, so each is taken out of its table here and recorded in the Database
(``shadows``, ``retired_columns``): the differ then plans the rest of the change, never a drop
of pgevolve's own work as if it were a column made by hand.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pgevolve import model
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.online_sql import RETIRED_PREFIX

__all__ = ["set_aside"]


def set_aside(db: model.Database, retypes: list[dict[str, Any]]) -> model.Database:
    """``db`` without shadow and retired columns and what stands on them; those recorded instead."""
    shadows: list[model.ShadowColumn] = []
    retired: list[model.RetiredColumn] = []
    tables: list[model.Table] = []
    by_table: dict[str, list[dict[str, Any]]] = {}
    for row in retypes:
        by_table.setdefault(row["table_name"], []).append(row)
    for table in db.tables:
        found_shadows = [_shadow(table, row) for row in by_table.get(table.name, [])]
        found_retired = [r for c in table.columns if (r := _retired(table.name, c)) is not None]
        aside = {s.shadow for s in found_shadows} | {r.name for r in found_retired}
        if not aside:
            tables.append(table)
            continue
        stripped, indexes, checks = _without(table, frozenset(aside))
        shadows += [replace(s, indexes=tuple(i for i in indexes if _on(i, s.shadow)),
                            checks=tuple(c for c in checks if _on(c, s.shadow))) for s in found_shadows]
        retired += found_retired
        tables.append(stripped)
    return replace(db, tables=tuple(tables),
                   shadows=tuple(sorted(shadows, key=lambda s: (s.table, s.column))),
                   retired_columns=tuple(sorted(retired, key=lambda r: (r.table, r.name))))


def _shadow(table: model.Table, row: dict[str, Any]) -> model.ShadowColumn:
    data = row["retype"]
    shadow = table.column(str(data.get("shadow", "")))
    if shadow is None:  # the marker without its column: nothing to resume (the cleanup drops the trigger)
        return model.ShadowColumn(table=table.name, column=str(data.get("column", "")), shadow="",
                                  type="", function=row["function_name"])
    return model.ShadowColumn(table=table.name, column=str(data["column"]), shadow=shadow.name, type=shadow.type,
                              using=data.get("using"), backfilled=bool(data.get("backfilled")),
                              function=row["function_name"])


def _retired(table: str, column: model.Column) -> model.RetiredColumn | None:
    comment = column.comment or ""
    if not comment.startswith(RETIRED_PREFIX + "{"):
        return None
    try:
        data = json.loads(comment[len(RETIRED_PREFIX):])
    except ValueError:
        return None
    return model.RetiredColumn(table=table, name=column.name, replaced_by=str(data.get("column", "")),
                               lossy=bool(data.get("lossy")))


def _without(table: model.Table, aside: frozenset[str]) -> tuple[model.Table, list[model.Index],
                                                                   list[model.CheckConstraint]]:
    """The table without the ``aside`` columns; the indexes (keys' included) and CHECKs that stood on them."""
    indexes = [i for i in table.indexes if _touches(i, aside)]
    checks = [c for c in table.checks if _touches(c, aside)]
    keys = [k for k in (table.primary_key, *table.uniques) if k is not None and set(k.columns) & aside]
    indexes += [model.key_index(k) for k in keys]
    stripped = replace(
        table,
        columns=tuple(c for c in table.columns if c.name not in aside),
        primary_key=None if table.primary_key in keys else table.primary_key,
        uniques=tuple(u for u in table.uniques if u not in keys),
        checks=tuple(c for c in table.checks if c not in checks),
        foreign_keys=tuple(f for f in table.foreign_keys if not set(f.columns) & aside),
        indexes=tuple(i for i in table.indexes if not _touches(i, aside)),
    )
    return stripped, indexes, checks


def _columns(item: model.Index | model.CheckConstraint) -> frozenset[str]:
    """The columns an index or CHECK reads; an expression that does not parse reads them all ("*")."""
    if isinstance(item, model.CheckConstraint):
        found = referenced_columns(item.expression)
        return found if found is not None else frozenset({"*"})
    names = {k.column for k in item.keys if k.column} | set(item.include)
    for text in [k.expression for k in item.keys if k.expression] + ([item.where] if item.where else []):
        found = referenced_columns(text)
        names |= found if found is not None else {"*"}
    return frozenset(names)


def _touches(item: model.Index | model.CheckConstraint, aside: frozenset[str]) -> bool:
    return bool(_columns(item) & aside)


def _on(item: model.Index | model.CheckConstraint, column: str) -> bool:
    return column in _columns(item)
