"""What the planner needs to know about an expression: does it call a volatile function?

The expression is parsed (pglast, PostgreSQL's own parser), never matched with
a regex: a function name inside a string literal is not a call.
"""

from __future__ import annotations

import json
import re
from functools import cache

from pglast import ast, keywords, parse_sql
from pglast.parser import parse_sql_json
from pglast.visitors import Visitor

from pgevolve.sqltext.expressions import ColumnRefs, last_string

# Functions a default commonly calls that are NOT volatile (stable or immutable):
# PostgreSQL evaluates them once when the column is added. Anything else is
# treated as volatile, the cautious answer, because then every row is computed.
NON_VOLATILE = frozenset({
    "now", "transaction_timestamp", "statement_timestamp", "current_setting", "current_database",
    "current_schema", "current_user", "session_user", "lower", "upper", "trim", "btrim", "ltrim", "rtrim",
    "concat", "concat_ws", "coalesce", "nullif", "greatest", "least", "length", "substring", "replace",
    "to_char", "to_date", "to_timestamp", "to_number", "to_json", "to_jsonb", "jsonb_build_object",
    "jsonb_build_array", "json_build_object", "json_build_array", "array_fill", "make_interval",
    "make_date", "make_timestamp", "make_timestamptz", "date_trunc", "timezone", "abs", "round",
    "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid", "uuid_ns_x500", "uuid_generate_v3",
    "uuid_generate_v5", "md5", "gen_salt", "interval",
})

_NEXTVAL = re.compile(r"^nextval\('(?P<sequence>(?:[^']|'')+)'(?:::regclass)?\)$")


class _Calls(Visitor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        name = last_string(node.funcname)
        if name is not None:
            self.names.append(name)


@cache
def called_functions(expression: str) -> tuple[str, ...] | None:
    """Names of the functions the expression calls, or None when it does not parse."""
    try:
        statements = parse_sql(f"SELECT {expression}")
    except Exception:  # pglast raises its own ParseError; any failure means "unknown"
        return None
    if len(statements) != 1:
        return None
    calls = _Calls()
    calls(statements)
    return tuple(calls.names)


def volatile_calls(expression: str) -> tuple[str, ...] | None:
    """The calls PostgreSQL may evaluate per row; None when the expression cannot be read."""
    names = called_functions(expression)
    if names is None:
        return None
    return tuple(name for name in names if name.lower() not in NON_VOLATILE)


def nextval_sequence(default: str | None) -> str | None:
    """The sequence of a ``nextval('seq'::regclass)`` default (a serial column), else None."""
    if default is None:
        return None
    match = _NEXTVAL.match(default.strip())
    return match["sequence"].replace("''", "'") if match else None


@cache
def referenced_columns(expression: str) -> frozenset[str] | None:
    """Column names the expression mentions, or None when it does not parse."""
    try:
        statements = parse_sql(f"SELECT {expression}")
    except Exception:
        return None
    refs = ColumnRefs()
    refs(statements)
    return frozenset(name for ref in refs.found if (name := last_string(ref.fields)) is not None)


class _Casts(Visitor):
    def __init__(self) -> None:
        self.types: set[str] = set()

    def visit_TypeCast(self, ancestors: object, node: ast.TypeCast) -> None:
        name = last_string(node.typeName.names if node.typeName else None)
        if name is not None:
            self.types.add(name)


@cache
def cast_types(expression: str) -> frozenset[str] | None:
    """Type names the expression casts to (``'a'::status`` -> status), or None when it does not parse."""
    try:
        statements = parse_sql(f"SELECT {expression}")
    except Exception:
        return None
    casts = _Casts()
    casts(statements)
    return frozenset(casts.types)


_PREFIX = "SELECT "
_BARE = re.compile(r"[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def rename_column_refs(expression: str, old: str, new: str) -> str | None:
    """The expression with column ``old`` spelled ``new``, as PostgreSQL prints it after RENAME COLUMN
    (it follows the column by number); None when it does not parse."""
    text = _PREFIX + expression
    try:
        statements = parse_sql(text)
    except Exception:
        return None
    refs = ColumnRefs()
    refs(statements)
    bare = [ref.location for ref in refs.found
            if ref.location is not None and len(ref.fields or ()) == 1 and last_string(ref.fields) == old]
    for location in sorted(bare, reverse=True):
        token = (_QUOTED if text[location] == '"' else _BARE).match(text, location)
        if token is None:
            return None
        text = text[:location] + server_ident(new) + text[token.end():]
    return text[len(_PREFIX):]


def qualify_column_refs(expression: str, prefix: str) -> str | None:
    """The expression with every bare column reference written ``prefix.column`` (a trigger's ``NEW``);
    None when it does not parse. The text is otherwise kept as it is."""
    text = _PREFIX + expression
    try:
        statements = parse_sql(text)
    except Exception:
        return None
    refs = ColumnRefs()
    refs(statements)
    bare = [ref.location for ref in refs.found if ref.location is not None and len(ref.fields or ()) == 1
            and last_string(ref.fields) is not None]
    for location in sorted(bare, reverse=True):
        text = text[:location] + prefix + "." + text[location:]
    return text[len(_PREFIX):]


_KEYWORDS = keywords.RESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS


def server_ident(name: str) -> str:
    """An identifier as PostgreSQL's quote_identifier prints it: bare when it can be, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _without_casts(node: object) -> object:
    """A parse tree (as JSON values) with every TypeCast replaced by its argument and no locations."""
    if isinstance(node, list):
        return [_without_casts(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"TypeCast"}:
        return _without_casts(node["TypeCast"]["arg"])
    return {key: _without_casts(value) for key, value in node.items() if key != "location"}


@cache
def _cast_free_tree(expression: str) -> object | None:
    try:
        return _without_casts(json.loads(parse_sql_json(f"SELECT {expression}"))["stmts"])
    except Exception:
        return None


def same_but_casts(old: str | None, new: str | None) -> bool:
    """True when the two expressions differ at most in their casts (or are both absent).

    ALTER COLUMN TYPE re-parses every expression on the column against the new type, and
    PostgreSQL then adds or removes the implicit casts itself: ``(zip <> ''::text)`` on a text
    column reads back as ``((zip)::text <> ''::text)`` once zip is varchar(10).
    """
    if old is None or new is None:
        return old == new
    tree = _cast_free_tree(old)
    return tree is not None and tree == _cast_free_tree(new)
