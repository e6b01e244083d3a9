"""One table of the model as the plain data of its YAML file.

Column-level sugar (``primary_key: true``, ``unique: true``, ``references:``)
is used only where the spec compiler gives back exactly the same constraint,
default name included; everything else is written in the table-level form with
its name. What the format cannot express is described in ``skipped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pgevolve import ident, model
from pgevolve.importer.emit import Quoted

IDENTITY = {"ALWAYS": "always", "BY DEFAULT": "by default"}
_SPACES = re.compile(r"\s")
_TYPE_PUNCTUATION = re.compile(r"[\s()\[\]]")


def sql_type(text: str) -> str:
    """A type, quoted when it has spaces, parentheses or brackets: ``"character varying(20)"``."""
    return Quoted(text) if _TYPE_PUNCTUATION.search(text) else text


def sql(text: str) -> str:
    """An SQL expression, quoted when it has spaces: ``now()`` but ``"(score > 0)"``."""
    return Quoted(text) if _SPACES.search(text) else text


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sugar:
    """Which constraints are written on their column rather than at table level."""

    primary_key: str | None  # the column carrying ``primary_key: true``
    unique: dict[str, str]  # column carrying ``unique: true`` -> the constraint's name
    references: dict[str, model.ForeignKey]  # column -> the FK written as ``references:``


def table_data(table: model.Table, schema: str, skipped: list[str]) -> dict[str, Any]:
    """The table's YAML document as plain data; what cannot be written is appended to ``skipped``."""
    sugar = _sugar(table, schema)
    data: dict[str, Any] = {"table": table.name}
    if table.comment is not None:
        data["description"] = table.comment
    pk_columns = set(table.primary_key.columns) if table.primary_key else set()
    data["columns"] = {c.name: _column(c, sugar, pk_columns) for c in table.columns}
    if table.primary_key and sugar.primary_key is None:
        data["primary_key"] = _primary_key(table.name, table.primary_key)
    uniques = [u for u in table.uniques if u.name not in sugar.unique.values()]
    _put(data, "unique", [_unique(table.name, u, skipped) for u in uniques])
    _put(data, "checks", [_check(table.name, c, skipped) for c in table.checks])
    fks = [fk for fk in table.foreign_keys if fk not in sugar.references.values()]
    _put(data, "foreign_keys", [_foreign_key(table.name, fk, schema, skipped) for fk in fks])
    _put(data, "indexes", [_index(table.name, i, skipped) for i in table.indexes])
    return data


def _put(data: dict[str, Any], key: str, items: list[dict[str, Any] | list[str] | None]) -> None:
    """Set ``key`` to the items that could be written, when there are any."""
    kept = [item for item in items if item is not None]
    if kept:
        data[key] = kept


def _sugar(table: model.Table, schema: str) -> _Sugar:
    """Pick the constraints that round-trip through their column-level spelling."""
    pk = table.primary_key
    single_pk = pk and len(pk.columns) == 1 and pk.name == ident.primary_key_name(table.name)
    unique = {
        u.columns[0]: u.name
        for u in table.uniques
        if len(u.columns) == 1
        and u.name == ident.unique_name(table.name, u.columns)
        and not (u.deferrable or u.initially_deferred)
    }
    references = {fk.columns[0]: fk for fk in table.foreign_keys if _column_level_fk(table.name, fk, schema)}
    return _Sugar(primary_key=pk.columns[0] if single_pk else None, unique=unique, references=references)


def _column_level_fk(table: str, fk: model.ForeignKey, schema: str) -> bool:
    """True when ``references: table.column`` compiles back to exactly this FK."""
    return (
        len(fk.columns) == 1
        and len(fk.ref_columns) == 1
        and fk.name == ident.foreign_key_name(table, fk.columns)
        and fk.ref_schema is None
        and not (fk.deferrable or fk.initially_deferred)
        and fk.valid
        and "." not in fk.ref_table
        and "." not in fk.ref_columns[0]
    )


def _column(column: model.Column, sugar: _Sugar, pk_columns: set[str]) -> dict[str, Any]:
    """A column's keys, in the order a reader expects them."""
    data: dict[str, Any] = {"type": sql_type(column.type)}
    if sugar.primary_key == column.name:
        data["primary_key"] = True
    if not column.nullable and column.name not in pk_columns:
        data["nullable"] = False
    if column.name in sugar.unique:
        data["unique"] = True
    optional = {
        "default": sql(column.default) if column.default is not None else None,
        "identity": IDENTITY[column.identity] if column.identity else None,
        "generated": sql(column.generated) if column.generated is not None else None,
        "collation": column.collation,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    fk = sugar.references.get(column.name)
    if fk is not None:
        data["references"] = f"{fk.ref_table}.{fk.ref_columns[0]}"
        data.update(_actions(fk))
    if column.comment is not None:
        data["description"] = column.comment
    return data


def _actions(fk: model.ForeignKey) -> dict[str, str]:
    """``on_delete`` / ``on_update`` in the format's lower case, when not the default NO ACTION."""
    actions = {"on_delete": fk.on_delete, "on_update": fk.on_update}
    return {key: action.lower() for key, action in actions.items() if action != "NO ACTION"}


def _primary_key(table: str, pk: model.PrimaryKey) -> list[str] | dict[str, Any]:
    if pk.name == ident.primary_key_name(table):
        return list(pk.columns)
    return {"columns": list(pk.columns), "name": pk.name}


def _unique(table: str, unique: model.UniqueConstraint, skipped: list[str]) -> list[str] | dict[str, Any]:
    if unique.deferrable or unique.initially_deferred:
        skipped.append(f"{_where(table, 'unique constraint', unique.name)}: DEFERRABLE is not in the format; "
                       "written as not deferrable")
    if unique.name == ident.unique_name(table, unique.columns):
        return list(unique.columns)
    return {"columns": list(unique.columns), "name": unique.name}


def _check(table: str, check: model.CheckConstraint, skipped: list[str]) -> dict[str, Any]:
    if not check.valid:
        skipped.append(f"{_where(table, 'check constraint', check.name)}: NOT VALID; written as a valid constraint")
    return {"name": check.name, "expression": sql(check.expression)}


def _foreign_key(table: str, fk: model.ForeignKey, schema: str, skipped: list[str]) -> dict[str, Any] | None:
    """The table-level form of a foreign key; None (and a note) for one into another schema."""
    where = _where(table, "foreign key", fk.name)
    if fk.ref_schema not in (None, schema):
        skipped.append(f"{where}: references {ident.qualify(fk.ref_schema, fk.ref_table)} outside the owned schema; "
                       "not imported")
        return None
    if not fk.valid:
        skipped.append(f"{where}: NOT VALID; written as a valid constraint")
    data: dict[str, Any] = {}
    if fk.name != ident.foreign_key_name(table, fk.columns):
        data["name"] = fk.name
    data["columns"] = list(fk.columns)
    data["references"] = {"table": fk.ref_table, "columns": list(fk.ref_columns)}
    data.update(_actions(fk))
    if fk.deferrable:
        data["deferrable"] = True
    if fk.initially_deferred:
        data["initially_deferred"] = True
    return data


def _index(table: str, index: model.Index, skipped: list[str]) -> dict[str, Any] | None:
    """An index entry; None (and a note) when its keys cannot be written in the format."""
    where = _where(table, "index", index.name)
    keys = _index_keys(index)
    if isinstance(keys, str):
        skipped.append(f"{where}: {keys}; not imported")
        return None
    if not index.valid:
        skipped.append(f"{where}: INVALID (a failed concurrent build); written as a normal index")
    data: dict[str, Any] = {}
    default_name = ident.index_name(table, [k.column for k in index.keys])
    if index.name != default_name or index.include:
        data["name"] = index.name  # PostgreSQL's own default also counts INCLUDE columns: always explicit then
    data.update(keys)
    if index.unique:
        data["unique"] = True
    if index.method != "btree":
        data["using"] = index.method
    if index.keys[0].opclass is not None:
        data["opclass"] = index.keys[0].opclass
    if index.include:
        data["include"] = list(index.include)
    if index.where is not None:
        data["where"] = sql(index.where)
    if index.comment is not None:
        data["description"] = index.comment
    return data


def _index_keys(index: model.Index) -> dict[str, Any] | str:
    """``columns`` or ``expression`` for the index's keys, or why the format cannot express them."""
    keys = index.keys
    if not keys:
        return "an index without keys"
    if any(k.descending or k.nulls_first for k in keys):
        return "DESC / NULLS FIRST keys are not in the format"
    if len({k.opclass for k in keys}) > 1:
        return "keys with different operator classes are not in the format"
    if all(k.column is not None and k.expression is None for k in keys):
        return {"columns": [k.column for k in keys]}
    if len(keys) == 1 and keys[0].expression is not None and keys[0].column is None:
        return {"expression": sql(keys[0].expression)}
    return "an index over several expressions, or columns mixed with expressions, is not in the format"


def _where(table: str, kind: str, name: str) -> str:
    return f"{kind} {ident.quote_ident(name)} on table {ident.quote_ident(table)}"
