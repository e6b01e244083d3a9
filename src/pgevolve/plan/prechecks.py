"""Counting queries that tell, before any DDL runs, which steps existing rows would break.

A step with the ``data`` hazard (SET NOT NULL, UNIQUE, CHECK including shape
CHECKs and enum changes, a foreign key, a cast) fails on existing rows; rather
than finding out half-way through a migration, apply counts the offending rows
first and reports each check with a few example keys. Pure: this module only
builds the SQL; ``apply`` runs it.
"""

from __future__ import annotations

import dataclasses
import re

from pgevolve import changes as ch
from pgevolve import model
from pgevolve.plan.key_steps import is_loosening
from pgevolve.plan.steps import Precheck
from pgevolve.sqltext.ddl import Scope
from pgevolve.sqltext.ident import qualify, quote_ident, quote_literal
from pgevolve.sqltext.type_names import SERIAL_TYPES

SAMPLE_SIZE = 5


def prechecks_for(changes: list[ch.Change], actual: model.Database) -> list[Precheck]:
    """The prechecks of every change that can fail on rows of a table that exists now."""
    checks: list[Precheck] = []
    for change in changes:
        checks += _for_change(change, actual)
    return checks


def _for_change(change: ch.Change, actual: model.Database) -> list[Precheck]:
    name = ch.table_of(change)
    table = actual.table(name) if name is not None else None
    if table is None:
        return []  # a table created by this plan (or renamed: checked under its new name after renames)
    match change:
        case ch.AlterColumn(old=old, new=new, changes=what):
            found = []
            if "nullable" in what and not new.nullable:
                found.append(_not_null(actual.schema, table, new.name))
            if "type" in what:
                found += _cast(actual.schema, table, _plain(old), _plain(new))
            return found
        case ch.AddColumn(column=column) if not column.nullable and column.default is None and not column.identity:
            return [_any_row(actual.schema, table, column.name)]
        case (ch.AddPrimaryKey(using_index=None, key=key)
              | ch.ReplaceKey(using_index=None, new=model.PrimaryKey() as key)):
            return [_duplicates(actual.schema, table, key.name, [quote_ident(c) for c in key.columns], None,
                                nulls_count=True)]
        case ch.AddUnique(using_index=None, constraint=unique) | ch.ReplaceKey(using_index=None, new=unique):
            return [_duplicates(actual.schema, table, unique.name, [quote_ident(c) for c in unique.columns], None,
                                nulls_equal=isinstance(unique, model.UniqueConstraint) and unique.nulls_not_distinct)]
        case ch.CreateIndex(index=index) | ch.ReplaceIndex(prebuilt=False, new=index) if index.unique:
            keys = [quote_ident(k.column) if k.column else f"({k.expression})" for k in index.keys]
            return [_duplicates(actual.schema, table, index.name, keys, index.where,
                                nulls_equal=index.nulls_not_distinct)]
        case ch.AddCheck() if is_loosening(change):
            return []  # implied by the CHECK it replaces, which every row satisfied
        case ch.AddCheck(check=check) | ch.AddForeignKey(foreign_key=check) if not check.valid:
            return []  # declared NOT VALID: existing rows are not checked, so none can make it fail
        case ch.AddCheck(check=check) | ch.ValidateConstraint(constraint=model.CheckConstraint() as check):
            return [_violations(actual.schema, table, check)]
        case ch.PromoteColumn():
            return _promotion(actual.schema, table, change, frozenset(e.name for e in actual.enums))
        case ch.AddForeignKey(foreign_key=fk) | ch.ValidateConstraint(constraint=model.ForeignKey() as fk):
            referenced = actual.table(fk.ref_table) if fk.ref_schema in (None, actual.schema) else None
            return [_orphans(actual.schema, table, fk)] if referenced or fk.ref_schema else []
        case _:
            return []


def _plain(column: model.Column) -> model.Column:
    """A serial column as its integer type: the type a cast can name."""
    return dataclasses.replace(column, type=SERIAL_TYPES.get(column.type.lower(), column.type))


def _key_expr(table: model.Table, alias: str = "") -> str:
    """Text that identifies a row to a human: its primary key, else its ctid."""
    prefix = f"{alias}." if alias else ""
    if table.primary_key:
        parts = [f"{prefix}{quote_ident(c)}::text" for c in table.primary_key.columns]
        return " || ', ' || ".join(parts) if len(parts) > 1 else parts[0]
    return f"{prefix}ctid::text"


def _scan(schema: str, table: model.Table, condition: str, subject: str, problem: str) -> Precheck:
    source = qualify(schema, table.name)
    return Precheck(
        subject=subject,
        problem=problem,
        count_sql=f"SELECT count(*) FROM {source} WHERE {condition}",
        sample_sql=f"SELECT {_key_expr(table)} FROM {source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
    )


def _not_null(schema: str, table: model.Table, column: str) -> Precheck:
    return _scan(schema, table, f"{quote_ident(column)} IS NULL", f"{table.name}.{column} SET NOT NULL",
                 f"rows where {column} is NULL")


def _any_row(schema: str, table: model.Table, column: str) -> Precheck:
    return _scan(schema, table, "true", f"{table.name}.{column} ADD COLUMN NOT NULL without a default",
                 "existing rows (each would get NULL)")


def _violations(schema: str, table: model.Table, check: model.CheckConstraint) -> Precheck:
    # CHECK passes on NULL, so only rows where the expression is false violate it.
    return _scan(schema, table, f"NOT ({check.expression})", f"{table.name} CHECK {check.name}",
                 f"rows where ({check.expression}) is false")


def _orphans(schema: str, table: model.Table, fk: model.ForeignKey) -> Precheck:
    target = qualify(fk.ref_schema or schema, fk.ref_table)
    matches = " AND ".join(f"p.{quote_ident(r)} = c.{quote_ident(c)}"
                           for c, r in zip(fk.columns, fk.ref_columns, strict=True))
    # MATCH SIMPLE (the default): a row with any NULL key column is not checked.
    present = " AND ".join(f"c.{quote_ident(c)} IS NOT NULL" for c in fk.columns)
    condition = f"{present} AND NOT EXISTS (SELECT 1 FROM {target} p WHERE {matches})"
    source = f"{qualify(schema, table.name)} c"
    key = _key_expr(table, "c")
    return Precheck(
        subject=f"{table.name} FOREIGN KEY {fk.name}",
        problem=f"rows whose ({', '.join(fk.columns)}) has no match in {fk.ref_table}",
        count_sql=f"SELECT count(*) FROM {source} WHERE {condition}",
        sample_sql=f"SELECT {key} FROM {source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
    )


def _duplicates(schema: str, table: model.Table, name: str, keys: list[str], where: str | None,
                *, nulls_count: bool = False, nulls_equal: bool = False) -> Precheck:
    # UNIQUE treats NULLs as distinct, so rows with a NULL key never collide, unless NULLS NOT
    # DISTINCT (GROUP BY counts NULLs as equal, as it does); a primary key forbids NULLs outright,
    # so those rows count as offending.
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    filters = [f"({where})"] if where else []
    condition = " AND ".join(filters + ([] if nulls_equal else [present])) or "true"
    aliased = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
    positions = ", ".join(str(i + 1) for i in range(len(keys)))
    grouped = (f"SELECT {aliased}, count(*) AS n FROM {qualify(schema, table.name)} "
               f"WHERE {condition} GROUP BY {positions} HAVING count(*) > 1")
    count = f"SELECT coalesce(sum(n), 0) FROM ({grouped}) d"
    if nulls_count:
        count = (f"SELECT ({count}) + (SELECT count(*) FROM {qualify(schema, table.name)} "
                 f"WHERE NOT ({present}))")
    labels = ", ".join(f"k{i}::text" for i in range(len(keys)))
    sample = f"SELECT concat_ws(', ', {labels}) || ' (' || n || ' rows)' FROM ({grouped}) d LIMIT {SAMPLE_SIZE}"
    return Precheck(subject=f"{table.name} UNIQUE {name}", problem="duplicate keys", count_sql=count,
                    sample_sql=sample)


_LENGTH_LIMIT = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)$")


def _cast(schema: str, table: model.Table, old: model.Column, new: model.Column) -> list[Precheck]:
    column = quote_ident(new.name)
    limit = _LENGTH_LIMIT.match(new.type)
    if limit:
        # An explicit cast to varchar(n) truncates silently: count what would be cut.
        return [_scan(schema, table, f"length({column}::text) > {limit[2]}",
                      f"{table.name}.{new.name} TYPE {new.type}", f"values longer than {limit[2]} characters")]
    if old.type in ("text", "character varying") and new.type in ("text", "character varying"):
        return []
    cast = f"{column}::{new.type}" if new.type.replace(" ", "").isidentifier() else f"CAST({column} AS {new.type})"
    source = qualify(schema, table.name)
    return [Precheck(
        subject=f"{table.name}.{new.name} TYPE {new.type}",
        problem=f"values that do not cast from {old.type} to {new.type}",
        count_sql=f"SELECT count({cast}) FROM {source}",
        sample_sql=None,
        cast_only=True,
    )]


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
    tester = (
        "CREATE OR REPLACE FUNCTION pg_temp.pgevolve_converts(value_json jsonb) RETURNS boolean "
        f"LANGUAGE plpgsql AS $pgevolve$\nDECLARE converted {column_type};\nBEGIN\n"
        f"    converted := {convert};\n    RETURN true;\n"
        "EXCEPTION WHEN others THEN\n    RETURN false;\nEND\n$pgevolve$"
    )
    source = quote_ident(promotion.source_column)
    condition = (f"{source} ? {quote_literal(promotion.key)} "
                 f"AND NOT pg_temp.pgevolve_converts({source})")
    found = _scan(schema, table, condition,
                  f"{table.name}.{column.name} promoted from {promotion.source_column}.{promotion.key}",
                  f"rows whose {promotion.source_column} ->> '{promotion.key}' does not convert to {column.type}")
    value = f"quote_nullable({source} ->> {quote_literal(promotion.key)})"
    sample = (f"SELECT {_key_expr(table)} || ': ' || {value} FROM {qualify(schema, table.name)} "
              f"WHERE {condition} LIMIT {SAMPLE_SIZE}")
    return [Precheck(subject=found.subject, problem=found.problem, count_sql=found.count_sql, sample_sql=sample,
                     setup_sql=(tester,))]
