"""One table of the model as the plain data of its YAML file.

Column-level sugar (``primary_key: true``, ``unique: true``, ``references:``)
is used only where the spec compiler gives back exactly the same constraint,
default name included; everything else is written in the table-level form with
its name. What the format cannot express is described in ``skipped``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pgevolve import model
from pgevolve.importer.indexes import index_data
from pgevolve.importer.spelling import default, sql, sql_type, where
from pgevolve.sqltext import ident, storage
from pgevolve.sqltext.prerequisites import declared_types
from pgevolve.sqltext.type_names import Declared, DeclaredType, TypeNameError, enum_reference, resolve_type

_Key = list[str] | dict[str, Any]  # `[a, b]` or `{ columns: [a, b], name: x }`
IDENTITY = {"ALWAYS": "always", "BY DEFAULT": "by default"}
SERIALS = ("serial", "bigserial", "smallserial")


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """What rendering one table needs to know about the whole database."""

    schema: str
    enums: frozenset[str]
    # Constraint names used more than once in the schema (PostgreSQL only keeps them apart per
    # table): the compiler would number a default away from them, so they are always written.
    shared_names: frozenset[str]
    tables: frozenset[str]  # the tables that get a file: a foreign key to any other is not imported
    declared: Declared  # the domains and types written to prerequisites.sql

    @classmethod
    def of(cls, db: model.Database, sibling_enums: frozenset[tuple[str, str]] = frozenset()) -> Scope:
        """``sibling_enums``: the other owned schemas' enum types, by (schema, name)."""
        counts = Counter(name for t in db.tables for name in _constraint_names(t))
        shared = frozenset(name for name, count in counts.items() if count > 1)
        tables = frozenset(t.name for t in db.tables)
        return cls(schema=db.schema, enums=frozenset(e.name for e in db.enums), shared_names=shared, tables=tables,
                   declared=Declared(db.schema, declared_types(db.prerequisites)
                                     | {DeclaredType(s, name) for s, name in sibling_enums}))

    def owns(self, ref_schema: str | None) -> bool:
        return ref_schema in (None, self.schema)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sugar:
    """Which constraints are written on their column rather than at table level."""

    primary_key: str | None  # the column carrying ``primary_key: true``
    unique: dict[str, str]  # column carrying ``unique: true`` -> the constraint's name
    references: dict[str, model.ForeignKey]  # column -> the FK written as ``references:``


def table_data(table: model.Table, scope: Scope, skipped: list[str]) -> dict[str, Any] | None:
    """The table's YAML document as plain data; notes go to ``skipped``."""
    sugar = _sugar(table, scope)
    data: dict[str, Any] = {"table": table.name}
    if table.comment is not None:
        data["description"] = table.comment
    data["columns"] = {c.name: _column(table, c, sugar, scope, skipped) for c in table.columns}
    if table.primary_key and sugar.primary_key is None:
        data["primary_key"] = _key(table.primary_key, ident.primary_key_name(table.name), scope)
    uniques = [u for u in table.uniques if u.name not in sugar.unique.values()]
    _put(data, "unique", [_key(u, ident.unique_name(table.name, u.columns), scope) for u in uniques])
    _put(data, "checks", [_check(c) for c in table.checks])
    fks = [fk for fk in table.foreign_keys if fk not in sugar.references.values()]
    _put(data, "foreign_keys", [_foreign_key(table.name, fk, scope, skipped) for fk in fks])
    _put(data, "indexes", [index_data(table.name, i, skipped) for i in table.indexes])
    if table.storage:
        data["storage"] = {name: storage.yaml_value(name, value) for name, value in table.storage}
    if table.replica_identity != "default":
        index = table.replica_identity_index
        data["replica_identity"] = {"index": index} if index is not None else table.replica_identity
    return data


def _constraint_names(table: model.Table) -> list[str]:
    keys: list[model.PrimaryKey | model.UniqueConstraint] = [table.primary_key] if table.primary_key else []
    return [c.name for c in (*keys, *table.uniques)] + [c.name for c in table.checks] + [
        f.name for f in table.foreign_keys]


def _put(data: dict[str, Any], key: str, items: list[Any]) -> None:
    """Set ``key`` to the items that could be written, when there are any."""
    kept = [item for item in items if item is not None]
    if kept:
        data[key] = kept


def _sugar(table: model.Table, scope: Scope) -> _Sugar:
    """Pick the constraints that round-trip through their column-level spelling."""
    pk = table.primary_key
    single_pk = (pk and len(pk.columns) == 1 and _is_default(pk.name, ident.primary_key_name(table.name), scope)
                 and _plain_key(pk))
    unique = {
        u.columns[0]: u.name
        for u in table.uniques
        if len(u.columns) == 1
        and _is_default(u.name, ident.unique_name(table.name, u.columns), scope)
        and _plain_key(u)
    }
    references = {fk.columns[0]: fk for fk in table.foreign_keys if _column_level_fk(table.name, fk, scope)}
    return _Sugar(primary_key=pk.columns[0] if pk and single_pk else None, unique=unique, references=references)


def _plain_key(key: model.PrimaryKey | model.UniqueConstraint) -> bool:
    """No option that only the table-level form can say."""
    nulls = isinstance(key, model.UniqueConstraint) and key.nulls_not_distinct
    return not (key.include or key.deferrable or key.initially_deferred or nulls)


def _is_default(name: str, default: str, scope: Scope) -> bool:
    """Whether leaving the name out gives this name back."""
    return name == default and name not in scope.shared_names


def _column_level_fk(table: str, fk: model.ForeignKey, scope: Scope) -> bool:
    """True when ``references: table.column`` compiles back to exactly this FK."""
    return (
        len(fk.columns) == 1
        and len(fk.ref_columns) == 1
        and _is_default(fk.name, ident.foreign_key_name(table, fk.columns), scope)
        and scope.owns(fk.ref_schema)
        and fk.ref_table in scope.tables
        and not (fk.deferrable or fk.initially_deferred)
        and fk.valid
        and "." not in fk.ref_table
        and "." not in fk.ref_columns[0]
    )


def _column(
    table: model.Table, column: model.Column, sugar: _Sugar, scope: Scope, skipped: list[str]
) -> dict[str, Any]:
    """A column's keys, in the order a reader expects them."""
    _check_type(table.name, column, scope, skipped)
    data: dict[str, Any] = {"type": _type(column.type, scope)}
    if sugar.primary_key == column.name:
        data["primary_key"] = True
    if not column.nullable and not _implicitly_not_null(table, column):
        data["nullable"] = False
    if column.name in sugar.unique:
        data["unique"] = True
    optional = {
        "default": default(column.default) if column.default is not None else None,
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


def _implicitly_not_null(table: model.Table, column: model.Column) -> bool:
    """PostgreSQL (and the compiler) make primary-key, serial and identity columns NOT NULL by themselves."""
    in_pk = table.primary_key is not None and column.name in table.primary_key.columns
    return in_pk or column.type in SERIALS or column.identity is not None


def _type(text: str, scope: Scope) -> str:
    """The column's type as the format spells it: a project enum by its plain name (format_type quotes
    ``"Role"``; the YAML says ``Role``), anything else as format_type prints it."""
    found = enum_reference(text, scope.enums, scope.schema)
    if found is None:
        return sql_type(text)
    name, dims = found
    return sql_type(name + "[]" * dims) if dims else name


def _check_type(table: str, column: model.Column, scope: Scope, skipped: list[str]) -> None:
    """Note a type the format does not know (a domain, a type from another schema): written as is."""
    try:
        resolve_type(_type(column.type, scope), scope.enums, scope.declared)
    except TypeNameError as exc:
        skipped.append(f"column {ident.quote_ident(column.name)} on table {ident.quote_ident(table)}: {exc}; "
                       "written as is: the YAML does not validate until the type is changed")


def _actions(fk: model.ForeignKey) -> dict[str, str]:
    """``on_delete`` / ``on_update`` in the format's lower case, when not the default NO ACTION."""
    actions = {"on_delete": fk.on_delete, "on_update": fk.on_update}
    return {key: action.lower() for key, action in actions.items() if action != "NO ACTION"}


def _key(key: model.PrimaryKey | model.UniqueConstraint, default: str, scope: Scope) -> _Key:
    """``[a, b]`` when the name is the default and there is no option, else ``{ columns: [a, b], ... }``."""
    if _is_default(key.name, default, scope) and _plain_key(key):
        return list(key.columns)
    data: dict[str, Any] = {"columns": list(key.columns)}
    if not _is_default(key.name, default, scope):
        data["name"] = key.name
    if key.include:
        data["include"] = list(key.include)
    if isinstance(key, model.UniqueConstraint) and key.nulls_not_distinct:
        data["nulls_not_distinct"] = True
    return data | _timing(key)


def _timing(key: model.PrimaryKey | model.UniqueConstraint | model.ForeignKey) -> dict[str, bool]:
    return {name: True for name, on in (("deferrable", key.deferrable),
                                        ("initially_deferred", key.initially_deferred)) if on}


def _check(check: model.CheckConstraint) -> dict[str, Any]:
    data: dict[str, Any] = {"name": check.name, "expression": sql(check.expression)}
    if not check.valid:
        data["not_valid"] = True
    if check.no_inherit:
        data["no_inherit"] = True
    return data


def _foreign_key(table: str, fk: model.ForeignKey, scope: Scope, skipped: list[str]) -> dict[str, Any] | None:
    """The table-level form of a foreign key (``schema:`` for a table of another schema, which pgevolve.yaml
    names in external_schemas); None, and a note, for one to a table that is not imported."""
    label = where(table, "foreign key", fk.name)
    if scope.owns(fk.ref_schema) and fk.ref_table not in scope.tables:
        skipped.append(f"{label}: references table {ident.quote_ident(fk.ref_table)}, which is not imported; "
                       "not imported")
        return None
    data: dict[str, Any] = {}
    if not _is_default(fk.name, ident.foreign_key_name(table, fk.columns), scope):
        data["name"] = fk.name
    data["columns"] = list(fk.columns)
    schema = {} if scope.owns(fk.ref_schema) else {"schema": fk.ref_schema}
    data["references"] = {**schema, "table": fk.ref_table, "columns": list(fk.ref_columns)}
    data.update(_actions(fk))
    data.update(_timing(fk))
    if not fk.valid:
        data["not_valid"] = True
    return data
