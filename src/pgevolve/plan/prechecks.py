"""Counting queries that tell, before any DDL runs, which steps existing rows would break.

A step with the ``data`` hazard (SET NOT NULL, UNIQUE, CHECK including shape
CHECKs and enum changes, a foreign key, a cast) fails on existing rows; rather
than finding out half-way through a migration, apply counts the offending rows
first and reports each check with a few example keys. Pure: this module only
builds the SQL; ``apply`` runs it.
"""

from __future__ import annotations

import dataclasses

from pgevolve import changes as ch
from pgevolve import model
from pgevolve.plan.key_steps import is_loosening
from pgevolve.plan.precheck_casts import (
    SAMPLE_SIZE,
    Converted,
    cast_prechecks,
    converted_source,
    converts_function,
    key_expr,
    pg_temp_name,
    plain,
    removed_values,
    scan,
)
from pgevolve.plan.steps import Precheck
from pgevolve.sqltext.ddl import Scope
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.fragments import expression_sql
from pgevolve.sqltext.ident import qualify, quote_ident, quote_literal
from pgevolve.sqltext.type_names import SERIAL_TYPES


def prechecks_for(changes: list[ch.Change], actual: model.Database,
                  desired: model.Database | None = None) -> list[Precheck]:
    """The prechecks of every change that can fail on rows of a table that exists now.

    ``desired`` gives the state the plan leaves: its enums (a column converted to an enum that the
    plan creates or extends) and its column types (a CHECK or UNIQUE on a column the plan retypes is
    checked against the converted values); without it, the actual ones.
    """
    checks: list[Precheck] = []
    for change in changes:
        checks += _for_change(change, actual, desired or actual)
    return checks


def _for_change(change: ch.Change, actual: model.Database, desired: model.Database) -> list[Precheck]:
    if isinstance(change, ch.ReplaceEnum):
        return removed_values(actual, change)
    name = ch.table_of(change)
    table = actual.table(name) if name is not None else None
    if table is None:
        return []  # a table created by this plan (or renamed: checked under its new name after renames)
    enums = {e.name: e for e in desired.enums}
    wanted = desired.table(table.name)
    match change:
        case ch.AlterColumn(old=old, new=new, changes=what):
            found = []
            if "nullable" in what and not new.nullable:
                found.append(_not_null(actual.schema, table, new.name))
            # A generated column dropped and added again: its values are computed anew, none is converted.
            cast = "type" in what and not (new.generated is not None and {"generated", "recomputed"} & what)
            if cast and change.using is not None:
                found.append(_converts(actual.schema, table, new, change.using, frozenset(e.name for e in
                                                                                         actual.enums)))
            elif cast:
                found += cast_prechecks(actual.schema, table, plain(old), plain(new), enums)
            return found
        case ch.AddColumn(column=column) if (not column.nullable and column.default is None and not column.identity
                                             and column.generated is None and column.type.lower() not in SERIAL_TYPES):
            # A serial column's default (nextval) and an identity or generated column fill every existing row.
            return [_any_row(actual.schema, table, column.name)]
        case (ch.AddPrimaryKey(using_index=None, key=key)
              | ch.ReplaceKey(using_index=None, new=model.PrimaryKey() as key)):
            converted = converted_source(actual.schema, table, wanted, key.columns, enums)
            return [_duplicates(actual.schema, table, key.name, _column_keys(key.columns), None, converted,
                                nulls_count=True)]
        case ch.AddUnique(using_index=None, constraint=unique) | ch.ReplaceKey(using_index=None, new=unique):
            converted = converted_source(actual.schema, table, wanted, unique.columns, enums)
            return [_duplicates(actual.schema, table, unique.name, _column_keys(unique.columns), None, converted,
                                nulls_equal=isinstance(unique, model.UniqueConstraint) and unique.nulls_not_distinct)]
        case ch.CreateIndex(index=index) | ch.ReplaceIndex(prebuilt=False, new=index) if index.unique:
            keys = [quote_ident(k.column) if k.column else f"({expression_sql(k.expression or '')})"
                    for k in index.keys]
            where = expression_sql(index.where, "index predicate") if index.where else None
            converted = converted_source(actual.schema, table, wanted, _index_columns(index), enums)
            return [_duplicates(actual.schema, table, index.name, keys, where, converted,
                                nulls_equal=index.nulls_not_distinct)]
        case ch.AddCheck() if is_loosening(change):
            return []  # implied by the CHECK it replaces, which every row satisfied
        case ch.AddCheck(check=check) | ch.AddForeignKey(foreign_key=check) if not check.valid:
            return []  # declared NOT VALID: existing rows are not checked, so none can make it fail
        case ch.AddCheck(check=check) | ch.ValidateConstraint(constraint=model.CheckConstraint() as check):
            used = referenced_columns(check.expression) or ()
            return [_violations(actual.schema, table, check,
                                converted_source(actual.schema, table, wanted, used, enums))]
        case ch.PromoteColumn():
            return _promotion(actual.schema, table, change, frozenset(e.name for e in actual.enums))
        case ch.RetypeOnline(absorbed=absorbed):
            # What rows would break: the same as for the changes it makes up for (casts, NOT NULL, keys, CHECKs).
            return [check for item in absorbed for check in _for_change(item, actual, desired)]
        case ch.AddForeignKey(foreign_key=fk) | ch.ValidateConstraint(constraint=model.ForeignKey() as fk):
            referenced = actual.table(fk.ref_table) if fk.ref_schema in (None, actual.schema) else None
            return [_orphans(actual.schema, table, fk)] if referenced or fk.ref_schema else []
        case _:
            return []


def _column_keys(columns: tuple[str, ...]) -> list[str]:
    return [quote_ident(c) for c in columns]


def _index_columns(index: model.Index) -> set[str]:
    """The columns an index's keys and predicate use."""
    used = {k.column for k in index.keys if k.column}
    for text in [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else []):
        used |= referenced_columns(text) or set()
    return used


def _not_null(schema: str, table: model.Table, column: str) -> Precheck:
    return scan(schema, table, f"{quote_ident(column)} IS NULL", f"{table.name}.{column} SET NOT NULL",
                 f"rows where {column} is NULL")


def _any_row(schema: str, table: model.Table, column: str) -> Precheck:
    return scan(schema, table, "true", f"{table.name}.{column} ADD COLUMN NOT NULL without a default",
                 "existing rows (each would get NULL)")


def _violations(schema: str, table: model.Table, check: model.CheckConstraint,
                converted: Converted | None) -> Precheck:
    # CHECK passes on NULL, so only rows where the expression is false violate it.
    checked = expression_sql(check.expression, "CHECK expression")
    found = scan(schema, table, f"NOT ({checked})", f"{table.name} CHECK {check.name}",
                 f"rows where ({checked}) is false")
    expression = converted.expression(checked) if converted else None
    if converted is None or expression is None:
        return found
    condition = f"NOT ({expression})"
    return dataclasses.replace(
        found, count_sql=f"SELECT count(*) FROM {converted.source} WHERE {condition}",
        sample_sql=f"SELECT {key_expr(table)} FROM {converted.source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
        setup_sql=converted.setup)


def _orphans(schema: str, table: model.Table, fk: model.ForeignKey) -> Precheck:
    target = qualify(fk.ref_schema or schema, fk.ref_table)
    matches = " AND ".join(f"p.{quote_ident(r)} = c.{quote_ident(c)}"
                           for c, r in zip(fk.columns, fk.ref_columns, strict=True))
    # MATCH SIMPLE (the default): a row with any NULL key column is not checked.
    present = " AND ".join(f"c.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
    condition = f"{present} AND NOT EXISTS (SELECT 1 FROM {target} p WHERE {matches})"
    source = f"{qualify(schema, table.name)} c"
    key = key_expr(table, "c")
    return Precheck(
        subject=f"{table.name} FOREIGN KEY {fk.name}",
        problem=f"rows whose ({', '.join(fk.columns)}) has no match in {fk.ref_table}",
        count_sql=f"SELECT count(*) FROM {source} WHERE {condition}",
        sample_sql=f"SELECT {key} FROM {source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
    )


def _duplicates(schema: str, table: model.Table, name: str, keys: list[str], where: str | None,
                converted: Converted | None = None, *, nulls_count: bool = False,
                nulls_equal: bool = False) -> Precheck:
    # UNIQUE treats NULLs as distinct, so rows with a NULL key never collide, unless NULLS NOT
    # DISTINCT (GROUP BY counts NULLs as equal, as it does); a primary key forbids NULLs outright,
    # so those rows count as offending.
    source = qualify(schema, table.name)
    setup_sql: tuple[str, ...] = ()
    if converted is not None:
        rewritten = [converted.expression(k) for k in keys]
        predicate = converted.expression(where) if where else None
        if None not in rewritten and (predicate is not None or not where):
            keys, where = [k for k in rewritten if k is not None], predicate
            source, setup_sql = converted.source, converted.setup
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    filters = [f"({where})"] if where else []
    condition = " AND ".join(filters + ([] if nulls_equal else [present])) or "true"
    aliased = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
    positions = ", ".join(str(i + 1) for i in range(len(keys)))
    grouped = (f"SELECT {aliased}, count(*) AS n FROM {source} "
               f"WHERE {condition} GROUP BY {positions} HAVING count(*) > 1")
    count = f"SELECT coalesce(sum(n), 0) FROM ({grouped}) d"
    if nulls_count:
        count = f"SELECT ({count}) + (SELECT count(*) FROM {source} WHERE NOT ({present}))"
    labels = ", ".join(f"k{i}::text" for i in range(len(keys)))
    sample = f"SELECT concat_ws(', ', {labels}) || ' (' || n || ' rows)' FROM ({grouped}) d LIMIT {SAMPLE_SIZE}"
    return Precheck(subject=f"{table.name} UNIQUE {name}", problem="duplicate keys", count_sql=count,
                    sample_sql=sample, setup_sql=setup_sql)


def _converts(schema: str, table: model.Table, new: model.Column, using: str, enums: frozenset[str]) -> Precheck:
    """Rows whose ``using:`` conversion fails, counted by trying it on each row.

    A temporary plpgsql function takes the row (the table's row type: the conversion may read any of
    its columns), assigns the conversion to a variable of the new type, as ALTER TYPE ... USING and the
    online shape's trigger and backfill assign it to the column, and catches the error.
    """
    from pgevolve.sqltext.expression_facts import qualify_column_refs

    column_type = Scope(schema, enums).type(plain(new).type)
    checked = expression_sql(using, "conversion (using:)")
    convert = qualify_column_refs(checked, "pgevolve_row") or checked
    subject = f"{table.name}.{new.name} TYPE {new.type} USING {using}"
    tester = pg_temp_name("pgevolve_converts", subject)
    setup = converts_function(tester, f"pgevolve_row {qualify(schema, table.name)}", column_type, f"({convert})")
    alias = "pgevolve_row"
    source = f"{qualify(schema, table.name)} {alias}"
    condition = f"NOT {tester}({alias})"
    return Precheck(
        subject=subject, problem=f"rows whose value does not convert to {new.type}",
        count_sql=f"SELECT count(*) FROM {source} WHERE {condition}",
        sample_sql=f"SELECT {key_expr(table, alias)} FROM {source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
        setup_sql=(setup,))


def _promotion(schema: str, table: model.Table, change: ch.PromoteColumn, enums: frozenset[str]) -> list[Precheck]:
    """Rows whose JSON value would not convert to the promoted column's type.

    PostgreSQL 15 has no soft cast (``pg_input_is_valid`` is 16+), so a
    temporary plpgsql function tries the very conversion the trigger and the
    backfill make, assigned to a variable of the column's type (which checks a
    varchar length as the column would), and catches the error. Exact for every
    type, where a regex per type would let '2024-02-30' through.
    """
    from pgevolve.sqltext.promotion_sql import casts_silently, value_expression

    column, promotion = change.column, change.trigger
    if not change.backfill or casts_silently(column.type):
        return []
    # An enum of the owned schema is named as the trigger names it: quoted and schema-qualified.
    column_type = Scope(schema, enums).type(column.type)
    # The trigger function's variable would be `value` (text); jsonb/json never reach here.
    convert = value_expression("value_json", promotion.key, column_type)
    tester = converts_function("pg_temp.pgevolve_converts", "value_json jsonb", column_type, convert)
    source = quote_ident(promotion.source_column)
    condition = (f"{source} ? {quote_literal(promotion.key)} "
                 f"AND NOT pg_temp.pgevolve_converts({source})")
    found = scan(schema, table, condition,
                  f"{table.name}.{column.name} promoted from {promotion.source_column}.{promotion.key}",
                  f"rows whose {promotion.source_column} ->> '{promotion.key}' does not convert to {column.type}")
    value = f"quote_nullable({source} ->> {quote_literal(promotion.key)})"
    sample = (f"SELECT {key_expr(table)} || ': ' || {value} FROM {qualify(schema, table.name)} "
              f"WHERE {condition} LIMIT {SAMPLE_SIZE}")
    return [Precheck(subject=found.subject, problem=found.problem, count_sql=found.count_sql, sample_sql=sample,
                     setup_sql=(tester,))]
