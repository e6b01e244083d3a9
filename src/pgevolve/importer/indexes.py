"""An index of the model as an ``indexes:`` entry.

The short forms (``columns: [a, b]``, ``expression: ...``, one ``opclass`` for every key) are used
when they say it all; otherwise ``keys:`` lists each key with its options. Indexes the format cannot
express never reach the model (catalog/queries/indexes.sql leaves them to unmanaged.sql).
"""

from __future__ import annotations

from typing import Any

from pgevolve import model
from pgevolve.importer.spelling import sql, where
from pgevolve.source.naming import default_index_name
from pgevolve.sqltext.ddl import INDEX_METHODS


def index_data(table: str, index: model.Index, skipped: list[str]) -> dict[str, Any] | None:
    """An index entry; None (and a note) when the format cannot express the index."""
    label = where(table, "index", index.name)
    unsupported = _unsupported(index)
    if unsupported:
        skipped.append(f"{label}: {unsupported} is not in the format; not imported")
        return None
    if not index.valid:
        skipped.append(f"{label}: INVALID (a failed concurrent build); written as a normal index")
    data: dict[str, Any] = {}
    if index.name != default_index_name(table, index):
        data["name"] = index.name
    data.update(_keys(index))
    data.update(_options(index))
    return data


def _unsupported(index: model.Index) -> str | None:
    """What the format cannot say about this index (the catalog reader leaves out most such indexes)."""
    if not index.keys:
        return "an index without keys"
    if index.method not in INDEX_METHODS:
        return f"access method {index.method}"
    if len(set(index.include)) < len(index.include):
        return "an INCLUDE column listed twice"
    return None


def _options(index: model.Index) -> dict[str, Any]:
    """The keys after ``columns``/``expression``/``keys``, each only when not the default."""
    opclasses = {k.opclass for k in index.keys}
    options: dict[str, Any] = {
        "unique": True if index.unique else None,
        "nulls_not_distinct": True if index.nulls_not_distinct else None,
        "using": index.method if index.method != "btree" else None,
        "opclass": index.keys[0].opclass if len(opclasses) == 1 and not _needs_keys(index) else None,
        "include": list(index.include) or None,
        "where": sql(index.where) if index.where is not None else None,
        "description": index.comment,
    }
    return {key: value for key, value in options.items() if value is not None}


def _needs_keys(index: model.Index) -> bool:
    """Whether the short forms cannot say it: key options, several opclasses, mixed or repeated keys."""
    keys = index.keys
    if any(k.descending or k.nulls_first is not None for k in keys) or len({k.opclass for k in keys}) > 1:
        return True
    columns = [k.column for k in keys]
    if all(c is not None for c in columns):
        return len(set(columns)) < len(columns)  # columns: is a list of distinct names
    return len(keys) > 1


def _keys(index: model.Index) -> dict[str, Any]:
    """``columns``, ``expression`` or ``keys`` for the index's keys."""
    if _needs_keys(index):
        return {"keys": [_key(k) for k in index.keys]}
    if index.keys[0].column is not None:
        return {"columns": [k.column for k in index.keys]}
    return {"expression": sql(index.keys[0].expression or "")}


def _key(key: model.IndexKey) -> str | dict[str, Any]:
    """A plain column name, or ``{ column | expression, desc, nulls, opclass }``."""
    if key.column is not None and not (key.descending or key.nulls_first is not None or key.opclass):
        return key.column
    data: dict[str, Any] = {"column": key.column} if key.column is not None else {"expression": sql(key.expression
                                                                                                     or "")}
    if key.descending:
        data["desc"] = True
    if key.nulls_first is not None:
        data["nulls"] = "first" if key.nulls_first else "last"
    if key.opclass:
        data["opclass"] = key.opclass
    return data
