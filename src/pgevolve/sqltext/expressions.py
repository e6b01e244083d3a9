"""One SQL expression, and nothing else: defaults, CHECKs, index expressions and predicates.

Expressions are spliced into DDL, so ``now()); drop table x; --`` must never
get through. The text is checked by PostgreSQL's own scanner and parser
(pglast): no statement separator, no comment, parentheses balanced within the
text, and ``SELECT (<text>) AS <sentinel>`` parses as one statement with one
target that still carries the sentinel (so nothing after the text was eaten).
One expression can still call a function that reaches past its row (dblink, files,
SQL text of its own): those are refused by name (``unsafe_functions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pglast
from pglast import ast
from pglast.enums import A_Expr_Kind, MinMaxOp
from pglast.parser import ParseError, scan
from pglast.visitors import Visitor

from pgevolve.sqltext.unsafe_functions import why_unsafe

_SENTINEL = "pgevolve_expression_sentinel"
_OPEN, _CLOSE, _COMMA, _SEMICOLON = "ASCII_40", "ASCII_41", "ASCII_44", "ASCII_59"
_OPEN_BRACKET, _CLOSE_BRACKET = "ASCII_91", "ASCII_93"  # ARRAY[a, b], col[1]
_PAIRS = {_CLOSE: _OPEN, _CLOSE_BRACKET: _OPEN_BRACKET}
_COMMENTS = ("SQL_COMMENT", "C_COMMENT")


class ExpressionError(ValueError):
    """The text is not exactly one SQL expression."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked expression and what it refers to."""

    text: str
    columns: tuple[str, ...]  # distinct column names referenced, in order of appearance
    has_subquery: bool


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """The expression in ``text``; ExpressionError unless it is exactly one SQL expression.

    Cached: a large schema repeats the same defaults and checks in every table.
    """
    if not text.strip():
        raise ExpressionError("is empty")
    _check_tokens(text)
    try:
        statements = pglast.parse_sql(f"SELECT ({text}) AS {_SENTINEL}")
    except ParseError as exc:
        raise ExpressionError(f"is not a valid SQL expression: {exc.args[0]}") from None
    refs = ColumnRefs()
    refs(_single_target(statements))
    for function in refs.functions:
        reason = why_unsafe(function)
        if reason:
            raise ExpressionError(f"calls {function}(), which {reason}: pgevolve refuses such functions in a "
                                  "schema expression (it would run with the privileges of whoever applies)")
    names = [string_names(ref.fields) for ref in refs.found]
    columns = tuple(dict.fromkeys(parts[-1] for parts in names if parts))
    return Expression(text=text, columns=columns, has_subquery=refs.has_subquery)


@lru_cache(maxsize=4096)
def plain_column_refs(text: str) -> tuple[str, ...] | None:
    """The columns an expression names, when each is a bare name (``email``); None when one is qualified
    (``t.email``), a star, or inside a subquery: then what it names depends on more than the table's columns."""
    try:
        statements = pglast.parse_sql(f"SELECT ({text}) AS {_SENTINEL}")
        refs = ColumnRefs()
        refs(_single_target(statements))
    except (ParseError, ExpressionError):
        return None
    names = []
    for ref in refs.found:
        fields = ref.fields or ()
        if len(fields) != 1 or not isinstance(fields[0], ast.String) or fields[0].sval is None:
            return None
        names.append(fields[0].sval)
    return None if refs.has_subquery else tuple(dict.fromkeys(names))


def _check_tokens(text: str) -> None:
    try:
        tokens = scan(text)
    except ParseError as exc:
        raise ExpressionError(f"is not a valid SQL expression: {exc.args[0]}") from None
    open_: list[str] = []  # the parentheses and brackets not closed yet
    for token in tokens:
        if token.name == _SEMICOLON:
            raise ExpressionError("must be one SQL expression, not several statements (found ';')")
        if token.name in _COMMENTS:
            raise ExpressionError("must not contain an SQL comment")
        if token.name == _COMMA and not open_:
            # `a, b` would parse as a row inside our parentheses, but not where it is spliced.
            raise ExpressionError("must be one SQL expression (found ',' outside parentheses)")
        if token.name in (_OPEN, _OPEN_BRACKET):
            open_.append(token.name)
        elif token.name in _PAIRS and (not open_ or open_.pop() != _PAIRS[token.name]):
            raise ExpressionError("closes a parenthesis it did not open")
    if open_:
        raise ExpressionError("leaves a parenthesis open")


def _single_target(statements: tuple[ast.RawStmt, ...]) -> ast.Node:
    stmt = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(stmt, ast.SelectStmt) or stmt.fromClause or stmt.whereClause or stmt.valuesLists:
        raise ExpressionError("must be one SQL expression")
    targets = stmt.targetList or ()
    if len(targets) != 1 or targets[0].name != _SENTINEL:
        raise ExpressionError("must be one SQL expression")
    value = targets[0].val
    if not isinstance(value, ast.Node):
        raise ExpressionError("must be one SQL expression")
    return value


def string_names(nodes: Sequence[ast.Node] | None) -> list[str]:
    """The names in a list of name nodes (a ColumnRef's fields, a function's or a type's name), stars left out."""
    return [n.sval for n in nodes or () if isinstance(n, ast.String) and n.sval is not None]


def last_string(nodes: Sequence[ast.Node] | None) -> str | None:
    """The last node's name when it is a name (``t.col`` -> col; ``t.*`` -> None)."""
    last = nodes[-1] if nodes else None
    return last.sval if isinstance(last, ast.String) else None


class ColumnRefs(Visitor):
    """The one collector of column references: every ColumnRef of a tree, in order, and whether it holds a subquery."""

    def __init__(self) -> None:
        self.found: list[ast.ColumnRef] = []
        self.functions: list[str] = []  # the names of the functions called (without schema), in order
        self.has_subquery = False

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
        self.found.append(node)

    def visit_SubLink(self, ancestors: object, node: ast.SubLink) -> None:
        self.has_subquery = True

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        name = last_string(node.funcname)
        if name is not None:
            self.functions.append(name)


@lru_cache(maxsize=4096)  # a schema repeats its expressions from table to table
def index_key_name(text: str) -> str | None:
    """The name PostgreSQL gives an index key expression in a default index name, or None ("expr").

    PostgreSQL's FigureIndexColname: ``lower(email)`` names ``t_lower_idx``,
    ``(data->>'k')::int`` names ``t_int4_idx``, ``auto_data->>'vin'`` names ``t_expr_idx``.
    """
    try:
        statements = pglast.parse_sql(f"SELECT ({text}) AS {_SENTINEL}")
        return _figure_name(_single_target(statements))[0]
    except (ParseError, ExpressionError):
        return None


def _figure_name(node: ast.Node | None) -> tuple[str | None, int]:
    """FigureColnameInternal of parse_target.c: (name, strength); strength 2 beats a fallback of 1."""
    match node:
        case ast.ColumnRef(fields=fields) if last_string(fields) is not None:
            return last_string(fields), 2
        case ast.FuncCall(funcname=names):
            return last_string(names), 2
        case ast.A_Expr(kind=A_Expr_Kind.AEXPR_NULLIF):
            return "nullif", 2
        case ast.TypeCast(arg=arg, typeName=type_name):
            name, strength = _figure_name(arg)
            return (name, strength) if strength > 1 else (last_string(type_name.names if type_name else None), 1)
        case ast.CollateClause(arg=arg):
            return _figure_name(arg)
        case ast.CaseExpr(defresult=default):
            name, strength = _figure_name(default)
            return (name, strength) if strength > 1 else ("case", 1)
        case ast.A_Indirection(indirection=indirection, arg=arg):
            last = indirection[-1] if indirection else None
            return (last.sval, 2) if isinstance(last, ast.String) else _figure_name(arg)
        case ast.CoalesceExpr():
            return "coalesce", 2
        case ast.MinMaxExpr(op=op):
            return ("greatest" if op == MinMaxOp.IS_GREATEST else "least"), 2
        case ast.A_ArrayExpr():
            return "array", 2
        case ast.RowExpr():
            return "row", 2
        case ast.SQLValueFunction(op=op) if op is not None:
            return op.name.removeprefix("SVFOP_").removesuffix("_N").lower(), 2
    return None, 0
