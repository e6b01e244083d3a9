"""Spec -> model: the desired database, with PostgreSQL's default names, and the migration hints.

Pure: no database. Types are spelled as ``format_type`` prints them; expressions
stay as written (the server normalizes them later, see ``catalog/normalize.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pgevolve import model
from pgevolve.source.naming import Namer
from pgevolve.source.project import ColumnSpec, IndexKeySpec, IndexSpec, Project, Scalar, TableSpec
from pgevolve.sqltext import ident, storage
from pgevolve.sqltext.expressions import index_key_name, parse_expression
from pgevolve.sqltext.type_names import ResolvedType, resolve_type

_ACTIONS: dict[str, model.ReferentialAction] = {
    "no action": "NO ACTION",
    "restrict": "RESTRICT",
    "cascade": "CASCADE",
    "set null": "SET NULL",
    "set default": "SET DEFAULT",
}
_IDENTITY: dict[str, model.IdentityKind] = {"always": "ALWAYS", "by default": "BY DEFAULT"}


def compile_project(project: Project) -> tuple[model.Database, model.Hints]:
    """The desired model and the migration hints of a validated project."""
    namer = Namer.reserving(project)
    # Default names depend on which names are already taken: go through the tables in a fixed order.
    tables = [_table(project, spec, namer) for spec in sorted(project.tables, key=lambda t: t.name)]
    database = model.Database(
        schema=project.schema,
        extensions=tuple(model.Extension(name=name) for name in sorted(project.extensions)),
        enums=model.sort_by_name(
            model.EnumType(name=e.name, values=e.values, comment=e.description) for e in project.enums.values()
        ),
        tables=model.sort_by_name(tables),
        sync_triggers=_sync_triggers(project),
    )
    return database, compile_hints(project)


def _sync_triggers(project: Project) -> tuple[model.SyncTrigger, ...]:
    """One per promoted_from: the column follows its JSON key while the YAML says so (backfilled: the goal)."""
    return tuple(
        model.SyncTrigger(table=t.name, column=c.name, source_column=c.promotion[0], key=c.promotion[1],
                          backfilled=True, drop_key=c.drop_key)
        for t in sorted(project.tables, key=lambda t: t.name)
        for c in sorted(t.columns, key=lambda c: c.name)
        if c.promotion is not None
    )


def compile_hints(project: Project) -> model.Hints:
    """renamed_from and promoted_from, as the differ and the planner want them."""
    table_renames = {t.name: t.renamed_from for t in project.tables if t.renamed_from}
    column_renames = {(t.name, c.name): c.renamed_from for t in project.tables for c in t.columns if c.renamed_from}
    promotions = tuple(
        model.Promotion(table=t.name, column=c.name, source_column=c.promotion[0], key=c.promotion[1],
                        drop_key=c.drop_key)
        for t in project.tables
        for c in t.columns
        if c.promotion is not None
    )
    return model.Hints(table_renames=table_renames, column_renames=column_renames, promotions=promotions)


def sql_default(value: Scalar | None) -> str | None:
    """A column default as SQL: strings are SQL already; bare YAML numbers and booleans become literals."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "'NaN'" if math.isnan(value) else ("'Infinity'" if value > 0 else "'-Infinity'")
    return repr(value)


def _table(project: Project, spec: TableSpec, namer: Namer) -> model.Table:
    types = {c.name: resolve_type(c.type, project.enums) for c in spec.columns}
    lowered = {c.name: _lower(project, spec, c) for c in spec.columns if _is_jsonb_spec(c, types[c.name])}
    pk_columns = spec.primary_key_columns
    columns = tuple(_column(c, types[c.name], lowered.get(c.name), c.name in pk_columns) for c in spec.columns)
    # Names in the order PostgreSQL would choose them: keys, checks, foreign keys, indexes.
    primary_key = _primary_key(spec, namer)
    uniques = list(_uniques(spec, namer))
    checks = [*_checks(spec, namer, types),
              *(c for low in lowered.values() for c in _claimed_checks(low.checks, namer))]
    foreign_keys = list(_foreign_keys(spec, namer))
    indexes = [_index(spec, i, namer) for i in spec.indexes]
    indexes += [i for low in lowered.values() for i in _claimed_indexes(low.indexes, namer)]
    return model.Table(
        name=spec.name,
        columns=columns,
        primary_key=primary_key,
        uniques=model.sort_by_name(uniques),
        checks=model.sort_by_name(checks),
        foreign_keys=model.sort_by_name(foreign_keys),
        indexes=model.sort_by_name(indexes),
        comment=spec.description,
        storage=tuple(sorted((name, storage.canonical_value(name, value)) for name, value in spec.storage.items())),
        replica_identity=spec.replica_identity,  # type: ignore[arg-type]  # validated by the JSON Schema
        replica_identity_index=spec.replica_identity_index,
    )


def _primary_key(spec: TableSpec, namer: Namer) -> model.PrimaryKey | None:
    columns = spec.primary_key_columns
    if not columns:
        return None
    key = spec.primary_key
    name = (key.name if key else None) or namer.choose(spec.name, None, "pkey", relation=True, constraint=True)
    if key is None:
        return model.PrimaryKey(name=name, columns=columns)
    return model.PrimaryKey(name=name, columns=columns, include=key.include, deferrable=key.deferrable,
                            initially_deferred=key.initially_deferred)


def _is_jsonb_spec(column: ColumnSpec, resolved: ResolvedType) -> bool:
    """pgevolve's own jsonb columns, and jsonb columns with a shape: lowered by spec.jsonb."""
    return resolved.kind in ("custom_fields", "tags") or column.shape is not None or column.items is not None


def _lower(project: Project, spec: TableSpec, column: ColumnSpec) -> Any:
    from pgevolve.source.jsonb import lower_jsonb_column

    return lower_jsonb_column(spec.name, column.name, column.raw, project.shapes)


def _column(spec: ColumnSpec, resolved: ResolvedType, lowering: Any, in_primary_key: bool) -> model.Column:
    nullable = spec.nullable is not False
    default = sql_default(spec.default)
    if lowering is not None:
        nullable = nullable if lowering.nullable is None else lowering.nullable
        default = default if lowering.default is None else lowering.default
    # PostgreSQL makes primary-key, serial and identity columns NOT NULL by itself; saying so
    # here keeps the compiled model equal to what the catalog reports.
    if in_primary_key or resolved.kind == "serial" or spec.identity is not None:
        nullable = False
    return model.Column(
        name=spec.name,
        type=lowering.type if lowering is not None else resolved.canonical,
        nullable=nullable,
        default=default,
        identity=_IDENTITY[spec.identity] if spec.identity else None,
        generated=spec.generated,
        collation=spec.collation,
        comment=spec.description,
    )


def _uniques(spec: TableSpec, namer: Namer) -> Iterator[model.UniqueConstraint]:
    for column in spec.columns:
        if column.unique:
            yield model.UniqueConstraint(name=namer.key_name(spec.name, [column.name], "key", relation=True),
                                         columns=(column.name,))
    for key in spec.uniques:
        name = key.name or namer.key_name(spec.name, key.columns, "key", relation=True)
        yield model.UniqueConstraint(name=name, columns=key.columns, include=key.include,
                                     nulls_not_distinct=key.nulls_not_distinct, deferrable=key.deferrable,
                                     initially_deferred=key.initially_deferred)


def _checks(spec: TableSpec, namer: Namer, types: dict[str, ResolvedType]) -> Iterator[model.CheckConstraint]:
    def choose(column: str | None) -> str:
        return namer.choose(spec.name, column, "check", relation=False, constraint=True)

    for column in spec.columns:
        if column.enum is not None:
            yield model.CheckConstraint(name=choose(column.name),
                                        expression=_enum_check(column.name, column.enum, types[column.name]))
        if column.check is not None:
            yield model.CheckConstraint(name=choose(column.name), expression=column.check)
    for check in spec.checks:
        # PostgreSQL names a CHECK after its column only when it references exactly one.
        referenced = parse_expression(check.expression).columns
        name = check.name or choose(referenced[0] if len(referenced) == 1 else None)
        yield model.CheckConstraint(name=name, expression=check.expression, valid=not check.not_valid,
                                    no_inherit=check.no_inherit)


def _enum_check(column: str, values: tuple[str, ...] | list[str], resolved: ResolvedType) -> str:
    """``col IN (...)``, spelled so that PostgreSQL prints back text that builds the same CHECK again.

    On a varchar column, ``col IN ('a', 'b')`` is printed as ``(col)::text = ANY
    ((ARRAY['a'::character varying, ...])::text[])``, and that text, run again (as apply runs
    the canonical text), is printed as ``... ARRAY[('a'::character varying)::text, ...]``: the
    CHECK would differ after every apply. Comparing as text from the start prints a fixed point.
    Other text-like types (text, char, citext) print back as they parse.
    """
    listed = ", ".join(ident.quote_literal(v) for v in values)
    name = ident.quote_ident(column)
    if resolved.base == "character varying":
        return f"({name})::text IN ({listed})"
    return f"{name} IN ({listed})"


def _foreign_keys(spec: TableSpec, namer: Namer) -> Iterator[model.ForeignKey]:
    for column in spec.columns:
        if column.reference is None:
            continue
        ref_table, ref_column = column.reference
        yield model.ForeignKey(
            name=namer.key_name(spec.name, [column.name], "fkey", relation=False),
            columns=(column.name,),
            ref_table=ref_table,
            ref_columns=(ref_column,),
            on_delete=_ACTIONS[column.on_delete],
            on_update=_ACTIONS[column.on_update],
        )
    for fk in spec.foreign_keys:
        yield model.ForeignKey(
            name=fk.name or namer.key_name(spec.name, fk.columns, "fkey", relation=False),
            columns=fk.columns,
            ref_table=fk.ref_table,
            ref_columns=fk.ref_columns,
            on_delete=_ACTIONS[fk.on_delete],
            on_update=_ACTIONS[fk.on_update],
            deferrable=fk.deferrable,
            initially_deferred=fk.initially_deferred,
            valid=not fk.not_valid,
        )


def _index(spec: TableSpec, index: IndexSpec, namer: Namer) -> model.Index:
    keys = tuple(_index_key(k, index.opclass) for k in _key_specs(index))
    # PostgreSQL's default index name counts the INCLUDE columns too: t_a_b_name_idx.
    key_names = [k.column or index_key_name(k.expression or "") for k in keys]
    name = index.name or namer.key_name(spec.name, [*key_names, *index.include], "idx", relation=True)
    return model.Index(
        name=name,
        keys=keys,
        unique=index.unique,
        method=index.using,
        where=index.where,
        include=index.include,
        nulls_not_distinct=index.nulls_not_distinct,
        comment=index.description,
    )


def _key_specs(index: IndexSpec) -> tuple[IndexKeySpec, ...]:
    """The keys of either spelling: ``keys``, ``columns`` or ``expression``."""
    if index.keys is not None:
        return index.keys
    if index.columns is not None:
        return tuple(IndexKeySpec(column=c) for c in index.columns)
    return (IndexKeySpec(expression=index.expression),)


def _index_key(key: IndexKeySpec, default_opclass: str | None) -> model.IndexKey:
    # The catalog records NULLS FIRST/LAST only as a departure from the direction's default
    # (NULLS LAST ascending, NULLS FIRST descending): the model keeps None for the default.
    nulls_first = None if key.nulls is None or (key.nulls == "first") == key.desc else key.nulls == "first"
    return model.IndexKey(column=key.column, expression=key.expression, opclass=key.opclass or default_opclass,
                          descending=key.desc, nulls_first=nulls_first)


def _claimed_checks(checks: tuple[model.CheckConstraint, ...], namer: Namer) -> Iterator[model.CheckConstraint]:
    for check in checks:
        name = namer.claim(check.name, relation=False)
        yield check if name == check.name else replace(check, name=name)


def _claimed_indexes(indexes: tuple[model.Index, ...], namer: Namer) -> Iterator[model.Index]:
    for index in indexes:
        name = namer.claim(index.name, relation=True)
        yield index if name == index.name else replace(index, name=name)
