"""The fragments that must stay SQL text, each made safe in one place before it reaches a statement.

Identifiers are quoted and values are literals (``ident``). What remains is text that
PostgreSQL's grammar must read as one thing of a known kind: a type, an operator class,
a collation, an access method, one expression. Each function here parses its fragment
with PostgreSQL's own parser (pglast) and returns either text rebuilt from the parse tree
(types, names) or the very text that was checked to be exactly one node (expressions);
anything else raises UnsafeSql. Validation (``source/semantic*.py``) calls the same
functions to report a bad fragment at its file and line; ``ddl`` calls them again, so a
fragment that skipped validation (a saved plan, a catalog value) is never pasted.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Any

import pglast
from pglast import ast
from pglast.parser import ParseError, scan

from pgevolve.errors import UnsafeSql, has_control, is_control, printable
from pgevolve.sqltext.expressions import ExpressionError, parse_expression
from pgevolve.sqltext.ident import quote_ident
from pgevolve.sqltext.type_names import TypeNameError, type_sql

__all__ = [
    "collation_sql",
    "comment_text",
    "default_sql",
    "display_sql",
    "dollar_quote",
    "expression_sql",
    "opclass_sql",
    "safe_type",
]


def safe_type(text: str) -> str:
    """A column type rebuilt from its parse tree (see ``type_names.type_sql``); UnsafeSql if it is no type."""
    try:
        return type_sql(text)
    except TypeNameError as exc:
        raise UnsafeSql(f"refusing to build SQL with the type {text!r}: {exc}") from None


def expression_sql(text: str, what: str = "expression") -> str:
    """``text`` itself, once checked to be exactly one SQL expression (``expressions.parse_expression``)."""
    try:
        return parse_expression(text).text
    except ExpressionError as exc:
        raise UnsafeSql(f"refusing to build SQL with the {what} {text!r}: it {exc}") from None


@lru_cache(maxsize=4096)
def default_sql(text: str) -> str:
    """A column default: the checked text, in parentheses when ``DEFAULT`` would read it otherwise.

    ``DEFAULT`` takes a restricted expression (b_expr): ``'x' COLLATE "C"`` there ends
    the default and goes on as the column's COLLATE clause, ``true AND false`` does not
    parse. The text is kept as it is only when ``CREATE TABLE t (c int DEFAULT <text>)``
    reads it as that column's one DEFAULT holding the same expression as the text alone;
    else it is wrapped in parentheses, which hold any one checked expression.
    """
    expression_sql(text, "default")
    try:
        statements = pglast.parse_sql(f"CREATE TABLE pgevolve_t (pgevolve_c int DEFAULT {text})")
        alone = pglast.parse_sql(f"SELECT ({text})")[0].stmt.targetList[0].val  # type: ignore[union-attr]
    except ParseError:
        return f"({text})"
    stmt = statements[0].stmt if len(statements) == 1 else None
    column = stmt.tableElts[0] if isinstance(stmt, ast.CreateStmt) and stmt.tableElts else None
    constraints: tuple[ast.Node, ...] = tuple(column.constraints or ()) if isinstance(column, ast.ColumnDef) else ()
    same = (len(constraints) == 1 and isinstance(constraints[0], ast.Constraint)
            and not getattr(column, "collClause", None) and constraints[0].raw_expr == alone)
    return text if same else f"({text})"


def opclass_sql(name: str) -> str:
    """An operator class as the model keeps it, ``name`` or ``schema.name``, each part quoted as written.

    The YAML and the catalog both give the name itself (``text_pattern_ops``,
    ``extensions.gin_trgm_ops``), never SQL: whatever it holds ends up inside quotes.
    """
    parts = name.split(".", 1)
    if not all(parts):
        raise UnsafeSql(f"refusing to build SQL with the operator class {name!r}: write name or schema.name")
    return ".".join(quote_ident(part) for part in parts)


def collation_sql(name: str) -> str:
    """A collation: one name exactly as written (``C``, ``en_US.utf8``, ``und-x-icu``), always quoted.

    Text in SQL quotes (``"myschema"."mycoll"``) is read as a qualified name instead,
    each part quoted again; the catalog gives names as they are (``pg_collation.collname``).
    """
    if not name.startswith('"'):
        return quote_ident(name)
    parts = _quoted_parts(name)
    if parts is None:
        raise UnsafeSql(f"refusing to build SQL with the collation {name!r}: write one name (C, en_US.utf8), "
                        'or "schema"."name" in SQL quotes')
    return ".".join(quote_ident(p) for p in parts)


_QUOTED_PART = re.compile(r'"((?:[^"]|"")+)"')


def _quoted_parts(text: str) -> list[str] | None:
    """``"a"."b"`` -> ["a", "b"]; None unless the text is one or two quoted identifiers joined by a dot."""
    parts, position = [], 0
    while True:
        match = _QUOTED_PART.match(text, position)
        if match is None:
            return None
        parts.append(match[1].replace('""', '"'))
        position = match.end()
        if position == len(text):
            return parts if len(parts) <= 2 else None
        if text[position] != ".":
            return None
        position += 1


def comment_text(text: str) -> str:
    """Text for a ``-- `` comment line: one line, whatever the names and reasons in it hold.

    A raw newline from a name (``"v<newline>DROP TABLE canary;<newline>--"``) would end the
    comment and make the rest a statement of the script; every control character is
    therefore shown escaped, and a comment stays one line.
    """
    return printable(text, keep="")


def dollar_quote(body: str, tag: str = "pgevolve") -> str:
    """``$tag$body$tag$`` with a tag that does not occur in ``body`` (nor ends it), so the body cannot end it."""
    candidate, n = tag, 0
    while f"${candidate}$" in body or body.endswith(f"${candidate}"):
        n += 1
        candidate = f"{tag}{n}"
    return f"${candidate}${body}${candidate}$"


# -- for the terminal -----------------------------------------------------------------------

def display_sql(sql: str) -> str:
    """SQL for reading on a terminal or in a pull request, equivalent to ``sql`` and drawn as it is.

    What separates tokens is kept (the statement's own line breaks). A string or a quoted
    name that holds a control character is shown in PostgreSQL's escape form instead:
    ``E'a\\nb'`` for a string, ``U&"v\\000aDROP"`` for a name, so no value can draw a line
    of SQL that is not there nor act on the terminal, and the text shown still means
    exactly what runs. A tab is shown as it is.
    """
    if not has_control(sql, but="\t") or _plainly_drawn(sql):
        return sql
    return _display_scanned(sql)


def _display_scanned(sql: str) -> str:
    """``display_sql`` through PostgreSQL's own scanner (pglast), token by token."""
    try:
        tokens = scan(sql)
    except ParseError:
        return printable(sql)
    if not has_control(sql, but="\t\n") and not _line_break_inside(sql, tokens):
        return sql  # the statement's own line breaks, between tokens: drawn as they are
    parts, position = [], 0
    for token in tokens:
        parts.append(printable(sql[position:token.start]))
        parts.append(_shown_token(sql[token.start:token.end + 1]))
        position = token.end + 1
    parts.append(printable(sql[position:]))
    return "".join(parts)


_LINE_BREAK = re.compile("\n")
# Where a string or a quoted name can hold a line break but its extent is plain to see: without a
# backslash (an E'' escape can hide a quote), a dollar sign (dollar quoting) or a comment, PostgreSQL's
# scanner ends a '...' or "..." token at the first quote not doubled. The whole text matches when every
# such token is closed and holds no line break (possessive: each token taken as the scanner takes it).
_PLAIN_QUOTED = re.compile(r"""(?:[^'"]++|'[^'\n]*+(?:''[^'\n]*+)*+'|"[^"\n]*+(?:""[^"\n]*+)*+")*+""")
_NOT_PLAIN = ("\\", "$", "--", "/*")
# Two string constants separated only by whitespace holding a line break are one constant to PostgreSQL
# (the SQL standard's continuation): the scanner's token spans that line break.
_CONTINUED = re.compile("'[ \t\n]*\n[ \t\n]*'")


def _plainly_drawn(sql: str) -> bool:
    """Whether ``sql`` is drawn as it is without scanning it: its only control characters are line breaks and
    tabs, and no line break is inside a string or a quoted name (a CREATE TABLE of a thousand-table plan)."""
    if has_control(sql, but="\t\n") or any(mark in sql for mark in _NOT_PLAIN) or _CONTINUED.search(sql):
        return False
    return _PLAIN_QUOTED.fullmatch(sql) is not None


def _line_break_inside(sql: str, tokens: list[Any]) -> bool:
    """Whether a line break of ``sql`` falls inside one of its tokens (a string, a quoted name, a body)."""
    starts = [token.start for token in tokens]
    for position in (found.start() for found in _LINE_BREAK.finditer(sql)):
        at = bisect.bisect_right(starts, position) - 1
        if at >= 0 and tokens[at].end >= position:
            return True
    return False


def _shown_token(text: str) -> str:
    if not has_control(text, but="\t"):
        return text
    if text.startswith("'"):
        return "E'" + _string_escapes(text[1:-1].replace("\\", "\\\\")) + "'"
    if text[:2] in ("E'", "e'"):
        return text[:2] + _string_escapes(text[2:-1]) + "'"
    if text.startswith('"'):
        return 'U&"' + _name_escapes(text[1:-1].replace("\\", "\\\\")) + '"'
    # A function body keeps its lines; its escape sequences are shown like any other.
    return printable(text, keep="\n\t" if text.startswith("$") else "\t")


_STRING_ESCAPES = {"\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _string_escapes(body: str) -> str:
    """Control characters of an E'' string body as its backslash escapes."""
    def escape(c: str) -> str:
        if c == "\t" or not is_control(c):
            return c
        code = ord(c)
        return _STRING_ESCAPES.get(c) or (f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")

    return "".join(escape(c) for c in body)


def _name_escapes(body: str) -> str:
    """Control characters of a U&"" name body as its Unicode escapes."""
    def escape(c: str) -> str:
        if c == "\t" or not is_control(c):
            return c
        code = ord(c)
        return f"\\{code:04x}" if code <= 0xFFFF else f"\\+{code:06x}"

    return "".join(escape(c) for c in body)
