"""Which JSON keys a SQL statement (or an index expression) touches, read from its parse tree.

pglast parses the statement text as PostgreSQL does. A use is a JSON operator
(``->``, ``->>``, ``#>``, ``#>>``, a subscript, ``@>``, ``?``, ``?|``, ``?&``,
``@?``, ``@@``, ``jsonb_extract_path[_text]``, ``jsonb_path_exists``/``_match``)
applied to a column, with the key path when it is written literally.

The texts of pg_stat_statements are normalized: every literal, the keys
included, is replaced by ``$n`` (``custom_fields ->> $1 = $2``), and two
statements that differ only in the key are one entry. Such a use has
``path=None``: the column and the operator are known, the key is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums, parse_sql, visitors
from pglast.parser import ParseError

from pgevolve.jsonb.usage.paths import format_path
from pgevolve.sqltext.expressions import last_string

PATH_OPERATORS = frozenset({"->", "->>", "#>", "#>>"})
CONTAINMENT_OPERATORS = frozenset({"@>"})
EXISTENCE_OPERATORS = frozenset({"?", "?|", "?&"})
JSONPATH_OPERATORS = frozenset({"@?", "@@"})
JSON_OPERATORS = PATH_OPERATORS | CONTAINMENT_OPERATORS | EXISTENCE_OPERATORS | JSONPATH_OPERATORS
_EXTRACT_FUNCTIONS = frozenset({"jsonb_extract_path", "jsonb_extract_path_text"})
_JSONPATH_FUNCTIONS = frozenset({"jsonb_path_exists", "jsonb_path_match", "jsonb_path_query_first"})

# Where in a statement a use sits; the first three filter rows, the next two order or group them.
_CLAUSES = {"whereClause": "where", "quals": "join", "havingClause": "having", "sortClause": "order by",
            "groupClause": "group by", "targetList": "select", "returningList": "select"}
FILTER_CLAUSES = frozenset({"where", "join", "having"})
SORT_CLAUSES = frozenset({"order by", "group by"})


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonUse:
    """One JSON operator applied to a column of a table."""

    table: str
    column: str
    operator: str  # "->>", "@>", "?", "[]" for a subscript, or a function name
    path: str | None  # key path as in the usage report ("household.size"); None: not written literally
    clause: str  # "where", "join", "having", "order by", "group by", "select" or "other"

    @property
    def indexable(self) -> bool:
        """Where an index can serve it: filtering, ordering or grouping."""
        return self.clause in FILTER_CLAUSES or self.clause in SORT_CLAUSES


def parse_statement(query: str) -> tuple[Any, ...] | None:
    """The parsed statements of a text; None when pglast cannot parse it (a truncated text, say)."""
    try:
        return tuple(parse_sql(query))
    except ParseError:
        return None


def find_json_uses(query: str, jsonb_columns: Mapping[str, frozenset[str]]) -> list[JsonUse] | None:
    """Every use of a JSON operator on a known JSONB column (table -> columns); None if unparseable."""
    statements = parse_statement(query)
    if statements is None:
        return None
    uses: list[JsonUse] = []
    for statement in statements:
        workload = _workload_query(statement.stmt)
        if workload is None:
            continue
        relations = _Relations()
        relations(workload)
        finder = _UseFinder(relations.aliases, relations.names, jsonb_columns)
        finder(workload)
        uses += finder.uses
    return list(dict.fromkeys(uses))  # once per statement, in order


def _workload_query(node: Any) -> Any:
    """The query an application runs, or None for DDL and other utility statements.

    pg_stat_statements also records utility statements, with their literals: the WHERE of
    `CREATE INDEX ... WHERE auto_data ? 'vin'` is not a filter that runs. A cursor's or a prepared
    statement's query is the application's.
    """
    if isinstance(node, ast.SelectStmt | ast.UpdateStmt | ast.DeleteStmt | ast.InsertStmt | ast.MergeStmt):
        return node
    if isinstance(node, ast.DeclareCursorStmt | ast.PrepareStmt):
        return node.query
    return None


def index_key_path(expression: str) -> tuple[str, str, str] | None:
    """(column, operator, path) of an index key such as ``(custom_fields ->> 'referral_source'::text)``."""
    statements = parse_statement(f"SELECT {expression}")
    if not statements:
        return None
    stmt = statements[0].stmt
    targets = (stmt.targetList if isinstance(stmt, ast.SelectStmt) else None) or ()
    if len(targets) != 1:
        return None
    found = _json_reference(targets[0].val)
    if found is None:
        return None
    ref, operator, segments = found
    column = last_string(ref.fields)
    if segments is None or not segments or len(ref.fields or ()) != 1 or column is None:
        return None
    return column, operator, format_path(segments)


class _Relations(visitors.Visitor):
    """The relations a statement names, and their aliases."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.names: set[str] = set()

    def visit_RangeVar(self, ancestors: Any, node: ast.RangeVar) -> None:  # noqa: N802 - pglast's naming
        name = node.relname
        if name is None:
            return
        self.names.add(name)
        self.aliases[name] = name
        if node.alias is not None and node.alias.aliasname is not None:
            self.aliases[node.alias.aliasname] = name


class _UseFinder(visitors.Visitor):
    def __init__(self, aliases: dict[str, str], names: set[str], jsonb_columns: Mapping[str, frozenset[str]]):
        self.aliases = aliases
        self.candidates = {name: jsonb_columns[name] for name in names if name in jsonb_columns}
        self.uses: list[JsonUse] = []

    def visit_A_Expr(self, ancestors: Any, node: ast.A_Expr) -> Any:  # noqa: N802
        return self._visit(ancestors, node)

    def visit_A_Indirection(self, ancestors: Any, node: ast.A_Indirection) -> Any:  # noqa: N802
        return self._visit(ancestors, node)

    def visit_FuncCall(self, ancestors: Any, node: ast.FuncCall) -> Any:  # noqa: N802
        return self._visit(ancestors, node)

    def _visit(self, ancestors: Any, node: Any) -> Any:
        found = _json_reference(node)
        if found is None:
            return None
        ref, operator, segments_list = found
        tables = self._resolve(ref)
        column = last_string(ref.fields)
        if not tables or column is None:
            return None
        clause = _clause(ancestors)
        paths = _paths(node, operator, segments_list)
        for table in tables:
            for path in paths:
                self.uses.append(JsonUse(table=table, column=column, operator=operator, path=path, clause=clause))
        # The chain is one use: `a -> 'b' ->> 'c'` must not count `a -> 'b'` again.
        return visitors.Skip

    def _resolve(self, ref: ast.ColumnRef) -> list[str]:
        names = [_name(f) for f in ref.fields or ()]
        if any(n is None for n in names) or not names:
            return []
        column = names[-1]
        if len(names) >= 2:
            table = self.aliases.get(names[-2], names[-2])
            return [table] if column in self.candidates.get(table, ()) else []
        return sorted(t for t, columns in self.candidates.items() if column in columns)


def _clause(ancestors: Any) -> str:
    node = ancestors
    while node is not None:
        member = getattr(node, "member", None)
        if member in _CLAUSES:
            return _CLAUSES[member]
        node = getattr(node, "parent", None)
    return "other"


def _name(node: Any) -> Any:
    return node.sval if isinstance(node, ast.String) else None


def _operator(node: ast.A_Expr) -> str | None:
    if node.kind != enums.A_Expr_Kind.AEXPR_OP:
        return None
    names = node.name or ()
    return _name(names[-1]) if names else None


Segments = list[str] | None  # None: at least one key is a $n placeholder


def _json_reference(node: Any) -> tuple[ast.ColumnRef, str, Segments] | None:
    """(column, operator, key segments) when node applies a JSON operator or function to a column."""
    if isinstance(node, ast.A_Expr):
        operator = _operator(node)
        if operator not in JSON_OPERATORS:
            return None
        chain = _chain(node.lexpr)
        if chain is None:
            return None
        ref, segments = chain
        if operator in PATH_OPERATORS:
            more = _path_operand(node.rexpr, operator)
            return ref, operator, None if segments is None or more is None else segments + more
        return ref, operator, segments
    if isinstance(node, ast.A_Indirection):
        chain = _chain(node)
        return (chain[0], "[]", chain[1]) if chain is not None and node.indirection else None
    if isinstance(node, ast.FuncCall):
        function = _name(node.funcname[-1]) if node.funcname else None
        args = node.args or ()
        if function not in _EXTRACT_FUNCTIONS | _JSONPATH_FUNCTIONS or not args:
            return None
        chain = _chain(args[0])
        if chain is None:
            return None
        return chain[0], function, chain[1]
    return None


def _chain(node: Any) -> tuple[ast.ColumnRef, Segments] | None:
    """A column, or a column followed by `->`/`->>`/`#>`/subscripts: the column and the keys so far."""
    if isinstance(node, ast.TypeCast):
        return _chain(node.arg)
    if isinstance(node, ast.ColumnRef):
        return node, []
    if isinstance(node, ast.A_Expr) and _operator(node) in PATH_OPERATORS:
        inner = _chain(node.lexpr)
        if inner is None:
            return None
        more = _path_operand(node.rexpr, _operator(node) or "")
        return inner[0], None if inner[1] is None or more is None else inner[1] + more
    if isinstance(node, ast.A_Indirection):
        inner = _chain(node.arg)
        if inner is None:
            return None
        segments = inner[1]
        for step in node.indirection or ():
            key = _literal(step.uidx) if isinstance(step, ast.A_Indices) and not step.is_slice else None
            segments = None if segments is None or key is None else segments + [key]
        return inner[0], segments
    return None


def _literal(node: Any) -> str | None:
    """A key written literally: a string is a key, an integer an array element ('[]')."""
    if isinstance(node, ast.TypeCast):
        return _literal(node.arg)
    if isinstance(node, ast.A_Const) and not node.isnull:
        if isinstance(node.val, ast.String):
            return node.val.sval
        if isinstance(node.val, ast.Integer):
            return "[]"
    return None


def _path_operand(node: Any, operator: str) -> list[str] | None:
    if operator in ("#>", "#>>"):
        text = _literal(node)
        if text is None or text == "[]":
            return None
        return ["[]" if part.lstrip("-").isdigit() else part for part in _text_array(text)]
    key = _literal(node)
    return None if key is None else [key]


def _text_array(text: str) -> list[str]:
    """'{a,b,"c d"}' -> ['a', 'b', 'c d'] (a text[] literal, one level)."""
    inner = text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    return [m.group(1).replace('\\"', '"') if m.group(1) is not None else m.group(2).strip()
            for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([^,]+)', inner)]


def _paths(node: Any, operator: str, segments: Segments) -> list[str | None]:
    """The key paths a use touches: the chain's, plus what the right operand names."""
    if operator in PATH_OPERATORS or operator == "[]" or operator in _EXTRACT_FUNCTIONS:
        if operator in _EXTRACT_FUNCTIONS:
            keys = [_literal(arg) for arg in (node.args or ())[1:]]
            segments = None if segments is None or None in keys else segments + [k for k in keys if k]
        return [format_path(segments) if segments else None]
    if segments is None:
        return [None]
    operand = node.args[1] if operator in _JSONPATH_FUNCTIONS and len(node.args or ()) > 1 else getattr(
        node, "rexpr", None)
    found = list(_operand_paths(operator, operand))
    return [format_path(segments + list(p)) for p in found] if found else [None]


def _operand_paths(operator: str, operand: Any) -> Iterator[tuple[str, ...]]:
    if operator in EXISTENCE_OPERATORS:
        keys: Sequence[str | None]
        if isinstance(operand, ast.A_ArrayExpr):
            keys = [_literal(e) for e in operand.elements or ()]
        else:
            text = _literal(operand)
            keys = [text] if operator == "?" else (_text_array(text) if text else [])
        yield from ((k,) for k in keys if k)
    elif operator in CONTAINMENT_OPERATORS:
        text = _literal(operand)
        if text is not None:
            try:
                yield from _leaf_paths(json.loads(text), ())
            except ValueError:
                return
    else:  # a jsonpath: its leading member accessors
        text = _literal(operand)
        match = re.match(r'\s*(?:strict\s+|lax\s+)?\$((?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*))+)',
                         text or "")
        if match:
            yield tuple(json.loads(k) if k.startswith('"') else k
                        for k in re.findall(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*', match.group(1)))


def _leaf_paths(value: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The key paths a containment document asks for: {"a": {"b": 1}} -> ("a", "b")."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list) and value:  # elements: objects give their keys, scalars the elements
        for inner in value:
            yield from _leaf_paths(inner, (*prefix, "[]"))
    elif prefix:
        yield prefix
