"""An index of the model as an ``indexes:`` entry, when the format can express it."""

from __future__ import annotations

from typing import Any

from pgevolve import model
from pgevolve.importer.spelling import sql, where
from pgevolve.source.naming import default_index_name

METHODS = ("btree", "gin", "gist", "hash", "brin")  # the format's `using`


def index_data(table: str, index: model.Index, skipped: list[str]) -> dict[str, Any] | None:
    """An index entry; None (and a note) when the format cannot express the index."""
    label = where(table, "index", index.name)
    keys = _keys(index)
    if isinstance(keys, str):
        skipped.append(f"{label}: {keys}; not imported")
        return None
    if not index.valid:
        skipped.append(f"{label}: INVALID (a failed concurrent build); written as a normal index")
    data: dict[str, Any] = {}
    if index.name != default_index_name(table, index):
        data["name"] = index.name
    data.update(keys)
    data.update(_options(index))
    return data


def _options(index: model.Index) -> dict[str, Any]:
    """The keys after ``columns``/``expression``, each only when not the default."""
    options: dict[str, Any] = {
        "unique": True if index.unique else None,
        "using": index.method if index.method != "btree" else None,
        "opclass": index.keys[0].opclass,
        "include": list(index.include) or None,
        "where": sql(index.where) if index.where is not None else None,
        "description": index.comment,
    }
    return {key: value for key, value in options.items() if value is not None}


def _keys(index: model.Index) -> dict[str, Any] | str:
    """``columns`` or ``expression`` for the index's keys, or why the format cannot express them."""
    keys = index.keys
    if not keys:
        return "an index without keys"
    if index.method not in METHODS:
        return f"index method {index.method} is not in the format (it has {', '.join(METHODS)})"
    if any(k.descending or k.nulls_first for k in keys):
        return "DESC / NULLS FIRST keys are not in the format"
    if len({k.opclass for k in keys}) > 1:
        return "keys with different operator classes are not in the format"
    columns = [k.column for k in keys]
    if all(c is not None for c in columns) and all(k.expression is None for k in keys):
        if len(set(columns)) < len(columns) or len(set(index.include)) < len(index.include):
            return "a column listed twice is not in the format"
        return {"columns": columns}
    if len(keys) == 1 and keys[0].expression is not None and keys[0].column is None:
        return {"expression": sql(keys[0].expression)}
    return "an index over several expressions, or columns mixed with expressions, is not in the format"
