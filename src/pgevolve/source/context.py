"""What every semantic check needs: the project, tables by name, resolved column types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgevolve.errors import Problem, did_you_mean
from pgevolve.source.marked_yaml import Document, NodePath
from pgevolve.source.project import Project, TableSpec
from pgevolve.source.validate import describe
from pgevolve.sqltext import ident
from pgevolve.sqltext.expressions import Expression, ExpressionError, parse_expression
from pgevolve.sqltext.type_names import ResolvedType


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    project: Project
    tables: dict[str, TableSpec]  # by name; the first file wins when two define one table
    types: dict[tuple[str, str], ResolvedType]  # (table, column) -> type; absent when the type is unknown
    broken_tables: frozenset[str]  # tables whose file failed the JSON Schema: no follow-up errors about them
    broken_shapes: frozenset[str]

    def column_type(self, table: str, column: str) -> ResolvedType | None:
        """The resolved type of a column, None when its type is unknown."""
        return self.types.get((table, column))


def name_problem(doc: Document, path: NodePath, name: str, *, at: str = "value") -> Problem | None:
    """An error when a user-written identifier does not fit PostgreSQL's 63 bytes."""
    if not ident.too_long(name):
        return None
    message = (
        f"{describe(path)}: the name is {len(name.encode())} bytes long; PostgreSQL keeps only "
        f"{ident.MAX_IDENTIFIER_BYTES} and would silently cut it"
    )
    return doc.problem(path, message, value=name, at="key" if at == "key" else "value")


def missing_column(
    doc: Document, path: NodePath, table: TableSpec, column: str, *, what: str | None = None
) -> Problem | None:
    """An error when ``column`` is not a column of ``table``, with the closest one as a hint."""
    if table.column(column) is not None:
        return None
    subject = what or describe(path)
    message = f"{subject} names column '{column}', which table '{table.name}' does not have"
    return doc.problem(path, message, hint=did_you_mean(column, table.column_names))


def expression_problems(
    doc: Document,
    path: NodePath,
    text: object,
    table: TableSpec,
    *,
    columns_allowed: bool = True,
) -> list[Problem]:
    """Errors for a text that is not one SQL expression, holds a subquery, or names unknown columns."""
    if not isinstance(text, str):
        return []
    try:
        expression = parse_expression(text)
    except ExpressionError as exc:
        return [doc.problem(path, f"{describe(path)} {exc}", value=text)]
    if expression.has_subquery:
        return [doc.problem(path, f"{describe(path)} must not contain a subquery: PostgreSQL refuses one here",
                            value=text)]
    if not columns_allowed:
        return _default_refers_to_columns(doc, path, expression)
    problems = [missing_column(doc, path, table, c, what=f"{describe(path)} ({text})") for c in expression.columns]
    return [p for p in problems if p is not None]


def _default_refers_to_columns(doc: Document, path: NodePath, expression: Expression) -> list[Problem]:
    # PostgreSQL: "cannot use column reference in DEFAULT expression". A bare word is most
    # often text the author meant literally: `default: new` instead of `default: "'new'"`.
    if not expression.columns:
        return []
    text = expression.text.strip()
    hint = f"""for the text {text}, quote it in SQL: "'{text}'\"""" if text.isidentifier() else None
    message = f"{describe(path)} refers to column '{expression.columns[0]}'; a default cannot use columns"
    return [doc.problem(path, message, value=expression.text, hint=hint)]


def present(problems: Sequence[Problem | None]) -> list[Problem]:
    """The problems that are not None."""
    return [p for p in problems if p is not None]
