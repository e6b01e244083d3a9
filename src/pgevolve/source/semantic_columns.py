"""Semantic checks of one column: its type, the keys that go with it, its expressions, its hints."""

from __future__ import annotations

from collections.abc import Collection

from pgevolve.errors import Problem, UnsafeSql, did_you_mean
from pgevolve.source.context import Context, expression_problems, missing_column, name_problem, present
from pgevolve.source.marked_yaml import NodePath
from pgevolve.source.project import ColumnSpec, TableSpec
from pgevolve.source.validate import describe
from pgevolve.sqltext.expressions import ExpressionError, parse_expression
from pgevolve.sqltext.fragments import collation_sql
from pgevolve.sqltext.type_names import (
    Declared,
    ResolvedType,
    TypeNameError,
    is_integer,
    is_text_like,
    resolve_type,
)

# Keys that make no sense on pgevolve's own jsonb columns, which fix their type, default and nullability.
_NOT_ON_SPECIAL = ("default", "enum", "shape", "items", "identity", "generated", "references", "primary_key",
                   "unique", "collation")


def resolve_column_types(table: TableSpec, enums: Collection[str],
                         declared: Declared | None = None) -> tuple[dict[str, ResolvedType], list[Problem]]:
    """The resolved type of every column whose type is known; errors for the others."""
    types: dict[str, ResolvedType] = {}
    problems: list[Problem] = []
    for column in table.columns:
        path = (*column.path, "type")
        try:
            types[column.name] = resolve_type(column.type, enums, declared)
        except TypeNameError as exc:
            problems.append(table.doc.problem(path, f"{describe(path)}: {exc}", value=column.type, hint=exc.hint))
    return types, problems


def check_column(ctx: Context, table: TableSpec, column: ColumnSpec) -> list[Problem]:
    """Every problem of one column that the JSON Schema cannot see."""
    doc = table.doc
    problems = present([
        name_problem(doc, column.path, column.name, at="key"),
        name_problem(doc, (*column.path, "renamed_from"), column.renamed_from or ""),
    ])
    resolved = ctx.column_type(table.name, column.name)
    if resolved is not None:
        problems += _type_rules(ctx, table, column, resolved)
    problems += _combinations(table, column)
    problems += expression_problems(doc, (*column.path, "default"), column.default, table, columns_allowed=False)
    problems += expression_problems(doc, (*column.path, "check"), column.check, table)
    problems += expression_problems(doc, (*column.path, "generated"), column.generated, table)
    problems += _using(table, column)
    problems += _hints(ctx, table, column)
    return problems


# The names an online type change gives a column's shadow and its old version (sqltext.ident).
_RESERVED_SUFFIXES = ("_pgevolve_new", "_pgevolve_old")


def _using(table: TableSpec, column: ColumnSpec) -> list[Problem]:
    """``using:``: one expression over this table's columns (as the YAML names them: renames run first)."""
    doc, path = table.doc, (*column.path, "using")
    problems = present([doc.problem(column.path, f"column '{column.name}': names ending in {suffix} are "
                                    "pgevolve's own (an online type change's shadow and old columns)", at="key")
                        for suffix in _RESERVED_SUFFIXES if column.name.endswith(suffix)])
    if column.using is None:
        return problems
    for key in ("generated", "promoted_from"):
        if key in column.raw:
            problems.append(doc.problem(path, f"column '{column.name}' cannot have both '{key}' and 'using': its "
                                        f"values come from {key}", at="key"))
    try:
        named = parse_expression(column.using).columns
    except ExpressionError:
        named = ()
    old = column.renamed_from
    if old and old in named and table.column(old) is None:
        return [*problems, doc.problem(
            path, f"{describe(path)} names column '{old}', which is renamed to '{column.name}' first",
            value=column.using, hint=f"write '{column.name}': the conversion runs after the rename")]
    return problems + expression_problems(doc, path, column.using, table)


def _type_rules(ctx: Context, table: TableSpec, column: ColumnSpec, resolved: ResolvedType) -> list[Problem]:
    doc, path = table.doc, column.path
    problems: list[Problem | None] = [_extension_listed(ctx, table, column, resolved)]
    if column.enum is not None and not is_text_like(resolved):
        problems.append(doc.problem(
            (*path, "enum"),
            f"'enum' of column '{column.name}' lists text values, but the column is {resolved.canonical}",
            hint="use a text column, a project enum type (enums: in pgevolve.yaml) or a check",
        ))
    if column.identity is not None and not is_integer(resolved):
        problems.append(doc.problem((*path, "identity"), f"an identity column must be smallint, integer or "
                                    f"bigint; column '{column.name}' is {resolved.canonical}"))
    if column.collation is not None and not _collatable(resolved):
        problems.append(doc.problem((*path, "collation"), f"type {resolved.canonical} has no collation",
                                    value=column.collation))
    elif column.collation is not None:
        problems.append(_collation(table, column))
    problems += _shape_rules(ctx, table, column, resolved)
    problems += _special_rules(table, column, resolved)
    if resolved.kind == "serial":
        problems += _serial_rules(table, column)
    return present(problems)


def _collation(table: TableSpec, column: ColumnSpec) -> Problem | None:
    """A collation is one name as written (C, en_US.utf8), or "schema"."name" in SQL quotes."""
    try:
        collation_sql(column.collation or "")
    except UnsafeSql:
        path = (*column.path, "collation")
        return table.doc.problem(path, f"{describe(path)} must be one collation name, or \"schema\".\"name\" in "
                                 "SQL quotes", value=column.collation, hint="e.g. C, en_US.utf8, und-x-icu")
    return None


def _collatable(resolved: ResolvedType) -> bool:
    return resolved.base in ("text", "character varying", "character", "bpchar", "citext")


def _extension_listed(ctx: Context, table: TableSpec, column: ColumnSpec, resolved: ResolvedType) -> Problem | None:
    if resolved.extension is None or resolved.extension in ctx.project.extensions:
        return None
    path = (*column.path, "type")
    return table.doc.problem(
        path,
        f"type {resolved.base} comes from the extension '{resolved.extension}', which pgevolve.yaml does not list",
        hint=f"add it: extensions: [{resolved.extension}]",
    )


def _shape_rules(ctx: Context, table: TableSpec, column: ColumnSpec, resolved: ResolvedType) -> list[Problem]:
    doc, problems = table.doc, []
    for key in ("shape", "items"):
        name = getattr(column, key)
        if name is None:
            continue
        path = (*column.path, key)
        if resolved.kind != "builtin" or resolved.canonical != "jsonb":
            problems.append(doc.problem(path, f"'{key}' applies to jsonb columns only; column '{column.name}' is "
                                        f"{column.type}", hint="write type: jsonb"))
        elif name not in ctx.project.shapes and name not in ctx.broken_shapes:
            hint = did_you_mean(name, ctx.project.shapes) or _shape_list(ctx)
            problems.append(doc.problem(path, f"unknown shape '{name}' in {describe(path)}", hint=hint))
    if column.shape is not None and column.items is not None:
        problems.append(doc.problem((*column.path, "items"), f"column '{column.name}' has both 'shape' (an "
                                    "object) and 'items' (an array of objects); choose one"))
    return problems


def _shape_list(ctx: Context) -> str:
    names = sorted(ctx.project.shapes)
    return "known shapes: " + ", ".join(names) if names else "there is no shape under shapes/"


def _special_rules(table: TableSpec, column: ColumnSpec, resolved: ResolvedType) -> list[Problem]:
    if resolved.kind not in ("custom_fields", "tags"):
        return []
    problems = [
        table.doc.problem((*column.path, key), f"'{key}' does not apply to a {resolved.kind} column: pgevolve "
                          "fixes its type, default and index", at="key")
        for key in _NOT_ON_SPECIAL
        if key in column.raw
    ]
    if column.nullable is True:
        problems.append(table.doc.problem((*column.path, "nullable"), f"a {resolved.kind} column is always NOT "
                                          "NULL (its default is empty)", hint="remove nullable: true"))
    return problems


def _serial_rules(table: TableSpec, column: ColumnSpec) -> list[Problem]:
    # A serial column is an integer with DEFAULT nextval(<its own sequence>): it cannot have another default.
    return [
        table.doc.problem((*column.path, key), f"a {column.type} column makes its own default from a sequence; "
                          f"'{key}' does not go with it", at="key", hint="use type: integer (or bigint) instead")
        for key in ("default", "identity", "generated")
        if key in column.raw
    ]


def _combinations(table: TableSpec, column: ColumnSpec) -> list[Problem]:
    doc, path = table.doc, column.path
    problems = []
    exclusive = [("identity", "default"), ("identity", "generated"), ("generated", "default")]
    for first, second in exclusive:
        if first in column.raw and second in column.raw and column.raw[second] is not None:
            problems.append(doc.problem((*path, second), f"column '{column.name}' cannot have both '{first}' and "
                                        f"'{second}'", at="key"))
    if (column.primary_key or column.name in table.primary_key_columns) and column.nullable is True:
        problems.append(doc.problem((*path, "nullable"), f"column '{column.name}' is in the primary key, which is "
                                    "always NOT NULL", value=True, hint="remove nullable: true"))
    for key in ("on_delete", "on_update"):
        if key in column.raw and column.references is None:
            problems.append(doc.problem((*path, key), f"'{key}' of column '{column.name}' applies only with "
                                        "'references'", at="key"))
    return problems


def _hints(ctx: Context, table: TableSpec, column: ColumnSpec) -> list[Problem]:
    doc, path = table.doc, column.path
    problems: list[Problem | None] = []
    if column.renamed_from is not None and table.column(column.renamed_from) is not None:
        problems.append(doc.problem(
            (*path, "renamed_from"),
            f"column '{column.name}' is renamed from '{column.renamed_from}', but table '{table.name}' still "
            f"has a column '{column.renamed_from}'",
            hint="remove renamed_from once the rename is applied, or remove the old column",
        ))
    if column.promotion is not None:
        problems += _promotion(ctx, table, column)
    elif column.drop_key:
        problems.append(table.doc.problem((*column.path, "drop_key"),
                                          f"column '{column.name}': drop_key needs promoted_from",
                                          hint="add promoted_from: <jsonb column>.<key>, or remove drop_key"))
    return present(problems)


def _promotion(ctx: Context, table: TableSpec, column: ColumnSpec) -> list[Problem | None]:
    doc, path = table.doc, (*column.path, "promoted_from")
    source, key = column.promotion or ("", "")
    if column.renamed_from is not None:
        return [doc.problem(path, f"column '{column.name}' cannot be both promoted_from and renamed_from")]
    if source == column.name:
        return [doc.problem(path, f"column '{column.name}' cannot be promoted from itself", value=column.promoted_from)]
    source_spec = table.column(source)
    if source_spec is None:
        return [missing_column(doc, path, table, source)]
    resolved = ctx.column_type(table.name, source)
    if resolved is not None and (resolved.canonical != "jsonb" or resolved.kind == "tags"):
        message = f"{describe(path)}: column '{source}' is {source_spec.type}, not a jsonb object"
        message += " (jsonb or custom_fields)"
        return [doc.problem(path, message, value=column.promoted_from)]
    return [_declared_key(ctx, table, source_spec, key, path)]


def _declared_key(ctx: Context, table: TableSpec, source: ColumnSpec, key: str, path: NodePath) -> Problem | None:
    """A promoted key must be a property of the source column's shape, when it has one."""
    shape = ctx.project.shapes.get(source.shape or "")
    if shape is None or key in shape.get("properties", {}):
        return None
    return table.doc.problem(
        path,
        f"{describe(path)}: shape '{source.shape}' of column '{source.name}' has no property '{key}'",
        hint=did_you_mean(key, shape.get("properties", {})),
    )
