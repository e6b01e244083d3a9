"""An index written without ``name:`` is the live index of its definition, under the live name.

PostgreSQL names such an index ``<table>_<columns>_idx``, numbered (``..._idx1``) when the name is
taken: the default name depends on which indexes came first, so it says nothing about identity.
Removing the first of two unnamed expression indexes would otherwise shift the second one's default
name onto the first's: drop one, rebuild the other under the freed name, and a table without the
second index meanwhile. So before the differ compares, each unnamed desired index takes the name of
the valid live index with exactly its definition (the same default name first, then any other not
claimed). One left unmatched keeps its default name when no live index bound to another desired
index has it (same name, new definition: the index is replaced, built aside first), else the next
free ``..._idx<n>``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import fields, replace

from pgevolve import model

_LABEL = re.compile(r"idx\d*$")


def bind_unnamed_indexes(actual: model.Database, desired: model.Database, hints: model.Hints) -> model.Database:
    """``desired`` with every unnamed index named as the live index of its definition (see module)."""
    if not hints.unnamed_indexes:
        return desired
    bound: dict[str, dict[str, str]] = {}  # table -> default name -> final name ("" for: renumber)
    # By table, once: a schema of a thousand tables has thousands of unnamed indexes.
    unnamed_by_table: dict[str, set[str]] = {}
    for table_name, index_name in hints.unnamed_indexes:
        unnamed_by_table.setdefault(table_name, set()).add(index_name)
    live_tables = {t.name: t for t in actual.tables}
    for table in desired.tables:
        unnamed = unnamed_by_table.get(table.name)
        live = live_tables.get(table.name)
        if live is not None and unnamed:
            bound[table.name] = _bind(table, live, unnamed)
    # Names are unique per schema: a renumbered one avoids every live relation and every final name.
    taken = {t.name for db in (actual, desired) for t in db.tables}
    taken |= {k.name for db in (actual, desired) for t in db.tables for k in (*t.uniques, t.primary_key) if k}
    taken |= {i.name for t in actual.tables for i in t.indexes}
    taken |= {bound.get(t.name, {}).get(i.name, i.name) for t in desired.tables for i in t.indexes}
    tables = []
    for table in desired.tables:
        names = bound.get(table.name)
        if not names:
            tables.append(table)
            continue
        indexes = [replace(i, name=names.get(i.name) or _free_name(i.name, taken)) if i.name in names else i
                   for i in table.indexes]
        tables.append(replace(table, indexes=model.sort_by_name(indexes)))
    return replace(desired, tables=tuple(tables))


def _bind(table: model.Table, live: model.Table, unnamed: set[str]) -> dict[str, str]:
    """Default name -> the live name of the same definition; "" where the default name is the live
    name of another desired index (to renumber). Unnamed indexes left out keep their default name."""
    named = {i.name for i in table.indexes if i.name not in unnamed}
    candidates = [i for i in live.indexes if i.valid and i.name not in named]
    bound: dict[str, str] = {}
    for index in (i for i in table.indexes if i.name in unnamed):
        same_name = [i for i in candidates if i.name == index.name]
        others = [i for i in candidates if i.name != index.name]
        match = next((i for i in [*same_name, *others] if i.name not in bound.values() and _same(i, index)), None)
        if match is not None:
            bound[index.name] = match.name
    claimed = set(bound.values())
    for index in table.indexes:
        if index.name in unnamed and index.name not in bound and index.name in claimed:
            bound[index.name] = ""
    return bound


_DEFINITION = tuple(f.name for f in fields(model.Index) if f.name not in ("name", "comment"))


def _same(live: model.Index, wanted: model.Index) -> bool:
    """Equal definitions: names and comments aside (compared field by field: a copy of each costs more)."""
    return all(getattr(live, name) == getattr(wanted, name) for name in _DEFINITION)


def _free_name(name: str, taken: set[str]) -> str:
    """``name`` numbered on, as PostgreSQL numbers a default name that is taken (``t_expr_idx2``),
    the part before the label cut so that the whole fits in 63 bytes."""
    base = _LABEL.sub("", name)
    for number in itertools.count(1):
        label, head = f"idx{number}", base
        while len((head + label).encode()) > 63:
            head = head[:-1]
        if head + label not in taken:
            taken.add(head + label)
            return head + label
    raise AssertionError("unreachable")
