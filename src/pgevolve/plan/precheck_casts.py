"""The pre-checks of type changes, and a row source with the plan's conversions applied.

A type change is checked by making the very conversion the step makes (a temporary plpgsql
function that catches the error: PostgreSQL 15 has no ``pg_input_is_valid``). A CHECK or a UNIQUE
on a column that the same plan retypes is checked against the converted values, not the old ones
(``numeric`` 1.5 becomes ``integer`` 2, which ``b >= 2`` accepts; 1.2 and 1.4 both become 1, which
a UNIQUE refuses): ``converted_source`` reads the table through a LATERAL that converts those
columns, and the expression's references to them are pointed at it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from pgevolve import changes as ch
from pgevolve import model
from pgevolve.plan.steps import Precheck
from pgevolve.sqltext.ddl import Scope
from pgevolve.sqltext.expression_facts import rename_column_refs
from pgevolve.sqltext.fragments import dollar_quote
from pgevolve.sqltext.ident import make_object_name, qualify, quote_ident, quote_literal
from pgevolve.sqltext.type_changes import Conversion, conversion, parse_type, through_text
from pgevolve.sqltext.type_names import SERIAL_TYPES, canonical_type, enum_reference

SAMPLE_SIZE = 5


def key_expr(table: model.Table, alias: str = "") -> str:
    """Text that identifies a row to a human: its primary key, else its ctid."""
    prefix = f"{alias}." if alias else ""
    if table.primary_key:
        parts = [f"{prefix}{quote_ident(c)}::text" for c in table.primary_key.columns]
        return " || ', ' || ".join(parts) if len(parts) > 1 else parts[0]
    return f"{prefix}ctid::text"


def scan(schema: str, table: model.Table, condition: str, subject: str, problem: str) -> Precheck:
    source = qualify(schema, table.name)
    return Precheck(
        subject=subject,
        problem=problem,
        count_sql=f"SELECT count(*) FROM {source} WHERE {condition}",
        sample_sql=f"SELECT {key_expr(table)} FROM {source} WHERE {condition} LIMIT {SAMPLE_SIZE}",
    )


def cast_prechecks(schema: str, table: model.Table, old: model.Column, new: model.Column,
          desired_enums: dict[str, model.EnumType]) -> list[Precheck]:
    """Rows whose value the plan's ALTER COLUMN ... TYPE would reject, counted exactly.

    PostgreSQL 15 has no soft cast (``pg_input_is_valid`` is 16+), so a
    temporary plpgsql function makes the very conversion the step makes and
    catches the error: ``USING col::type`` where the plan writes it, else the
    assignment to a variable of the new type (which, like the column, raises on
    a varchar too long but keeps 'ab   ' as 'ab'). A conversion that cannot fail
    (binary-coercible, widening) needs no check.
    """
    how = conversion(old.type, new.type)
    if how in (Conversion.COERCIBLE, Conversion.WIDENING):
        return []
    subject = f"{table.name}.{new.name} TYPE {new.type}"
    scope = Scope(schema, frozenset(desired_enums))
    target = enum_reference(new.type, frozenset(desired_enums), schema)
    column = quote_ident(new.name)
    if target is not None:
        # The enum may be created, or gain values, in this plan: it does not convert yet. A value
        # converts to an enum exactly when its text is one of the desired labels.
        return [enum_members(schema, table, new, desired_enums[target[0]], target[1], subject)]
    new_type = scope.type(new.type)
    tester = pg_temp_name("pgevolve_converts", subject)
    # As column_steps writes the step: from one enum (or domain) of another schema to another through text.
    text = "text" + "[]" * parse_type(new.type).array_dims
    value = f"value::{text}::{new_type}" if through_text(old.type, new.type) else (
        f"value::{new_type}" if how is Conversion.EXPLICIT else "value")
    setup = converts_function(tester, f"value {scope.type(old.type)}", new_type, value)
    condition = f"{column} IS NOT NULL AND NOT {tester}({column})"
    found = scan(schema, table, condition, subject, f"values that do not convert from {old.type} to {new.type}")
    return [_with_values(found, schema, table, column, condition, setup)]


def converts_function(name: str, parameter: str, new_type: str, value: str) -> str:
    """A temporary plpgsql function ``name(parameter) -> boolean``: whether ``value`` converts to ``new_type``.

    PostgreSQL 15 has no soft cast (``pg_input_is_valid`` is 16+): the conversion is assigned to a
    variable of the new type, as a step assigns it to the column (a varchar length checked too), and
    the error caught.
    """
    body = (f"\nDECLARE converted {new_type};\nBEGIN\n    converted := {value};\n    RETURN true;\n"
            "EXCEPTION WHEN others THEN\n    RETURN false;\nEND\n")
    return f"CREATE OR REPLACE FUNCTION {name}({parameter}) RETURNS boolean LANGUAGE plpgsql AS {dollar_quote(body)}"


def enum_members(schema: str, table: model.Table, column: model.Column, enum: model.EnumType, dims: int,
                  subject: str) -> Precheck:
    labels = "ARRAY[" + ", ".join(quote_literal(v) for v in enum.values) + "]::text[]"
    name = quote_ident(column.name)
    if dims:  # an array: every element must be a label
        condition = (f"EXISTS (SELECT 1 FROM unnest({name}) AS e(v) "
                     f"WHERE v IS NOT NULL AND NOT (v::text = ANY ({labels})))")
    else:
        condition = f"{name} IS NOT NULL AND NOT ({name}::text = ANY ({labels}))"
    found = scan(schema, table, condition, subject, f"values that are not a value of the enum {enum.name}")
    return _with_values(found, schema, table, name, condition, None)


def _with_values(found: Precheck, schema: str, table: model.Table, column: str, condition: str,
                 setup: str | None) -> Precheck:
    """The check with its examples showing the offending value beside the row's key."""
    sample = (f"SELECT {key_expr(table)} || ': ' || quote_nullable({column}::text) "
              f"FROM {qualify(schema, table.name)} WHERE {condition} LIMIT {SAMPLE_SIZE}")
    return dataclasses.replace(found, sample_sql=sample, setup_sql=(setup,) if setup else ())


def removed_values(actual: model.Database, change: ch.ReplaceEnum) -> list[Precheck]:
    """Rows that hold a value the rebuilt enum no longer has: the conversion through text would fail."""
    if not set(change.old.values) - set(change.new.values):
        return []  # only the order changes: every value converts
    checks = []
    for table_name, column in change.columns:
        table = actual.table(table_name)
        if table is None:
            continue
        dims = parse_type(column.type).array_dims
        subject = f"{table_name}.{column.name} TYPE {change.new.name} (values removed)"
        checks.append(enum_members(actual.schema, table, column, change.new, dims, subject))
    return checks


def pg_temp_name(prefix: str, subject: str) -> str:
    """A temporary function name of its own per check: two checks in one transaction never share one."""
    return f"pg_temp.{prefix}_{hashlib.sha1(subject.encode()).hexdigest()[:12]}"


def plain(column: model.Column) -> model.Column:
    """A serial column as its integer type: the type a cast can name."""
    return dataclasses.replace(column, type=SERIAL_TYPES.get(column.type.lower(), column.type))


@dataclass(frozen=True, slots=True, kw_only=True)
class Converted:
    """The table read with the plan's conversions of some columns: ``source`` for FROM, ``setup`` to run
    first (the temporary conversion testers), ``aliases``: column -> the name its converted value has."""

    source: str
    setup: tuple[str, ...]
    aliases: dict[str, str]

    def expression(self, text: str) -> str | None:
        """``text`` reading the converted values of the retyped columns; None when it cannot be rewritten."""
        found: str | None = text
        for column, alias in self.aliases.items():
            found = rename_column_refs(found, column, alias) if found is not None else None
        return found


def converted_source(schema: str, table: model.Table, wanted: model.Table | None, columns: Iterable[str],
                     enums: dict[str, model.EnumType]) -> Converted | None:
    """The row source with those of ``columns`` that the plan retypes converted as it converts them
    (a value that would not convert reads as NULL: the cast pre-check reports it); None if none is."""
    retyped = [(plain(old), plain(new)) for name in sorted(set(columns))
               if (old := table.column(name)) is not None and wanted is not None
               and (new := wanted.column(name)) is not None and canonical_type(old.type) != canonical_type(new.type)]
    if not retyped:
        return None
    setup: list[str] = []
    parts: list[str] = []
    aliases: dict[str, str] = {}
    for old, new in retyped:
        alias = make_object_name("pgevolve_new", old.name, "value")
        value, tester = _converted_value(schema, table, old, new, enums)
        setup += [tester] if tester else []
        parts.append(f"{value} AS {quote_ident(alias)}")
        aliases[old.name] = alias
    source = f"{qualify(schema, table.name)}, LATERAL (SELECT {', '.join(parts)}) AS pgevolve_converted"
    return Converted(source=source, setup=tuple(setup), aliases=aliases)


def _converted_value(schema: str, table: model.Table, old: model.Column, new: model.Column,
                     enums: dict[str, model.EnumType]) -> tuple[str, str | None]:
    """(the column's value as the step converts it, the tester function to create first or None)."""
    column = quote_ident(old.name)
    if enum_reference(new.type, frozenset(enums), schema) is not None:
        return column, None  # the enum may not exist yet: left as it is
    new_type = Scope(schema, frozenset(enums)).type(new.type)
    if conversion(old.type, new.type) in (Conversion.COERCIBLE, Conversion.WIDENING):
        return f"CAST({column} AS {new_type})", None
    checks = cast_prechecks(schema, table, old, new, enums)
    tester = pg_temp_name("pgevolve_converts", f"{table.name}.{new.name} TYPE {new.type}")
    return f"CASE WHEN {tester}({column}) THEN CAST({column} AS {new_type}) END", checks[0].setup_sql[0]
