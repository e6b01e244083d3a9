"""schema/prerequisites.sql: the objects tables need that the format does not manage.

Functions called by defaults, generated columns, CHECKs and indexes; domains and types of other
schemas used as column types; sequences that defaults draw from. The file is the project DBA's SQL
(see docs/security.md): pgevolve runs it as written, but only statements that *create* one object of
a known kind, each named back the way the server names it (``to_regprocedure`` and friends), so that
a plan can tell which ones a target lacks. Anything else (DROP, ALTER, GRANT, DO, INSERT, ...) is refused.
"""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.enums.parsenodes import FunctionParameterMode
from pglast.stream import RawStream

from pgevolve import model
from pgevolve.sqltext.expressions import string_names
from pgevolve.sqltext.ident import quote_ident
from pgevolve.sqltext.type_names import DeclaredType

FILE_NAME = "prerequisites.sql"
# Parameters that are part of a function's identity (OUT and TABLE columns are not).
_INPUT_MODES = (FunctionParameterMode.FUNC_PARAM_IN, FunctionParameterMode.FUNC_PARAM_INOUT,
                FunctionParameterMode.FUNC_PARAM_VARIADIC, FunctionParameterMode.FUNC_PARAM_DEFAULT)


class PrerequisiteError(ValueError):
    """A statement pgevolve does not run from prerequisites.sql; ``line`` is where it starts."""

    def __init__(self, message: str, line: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.hint = hint


def parse_prerequisites(text: str, schema: str) -> tuple[model.Prerequisite, ...]:
    """The statements of ``text``, each named; PrerequisiteError for one that is not a known creation."""
    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        raise PrerequisiteError(f"not valid SQL: {exc}", _line(text, getattr(exc, "location", 0) or 0)) from None
    found = []
    encoded = text.encode()
    for raw in statements:
        if raw.stmt is None:  # an empty statement (a lone semicolon)
            continue
        start = raw.stmt_location or 0
        length = raw.stmt_len or len(encoded) - start
        sql = encoded[start:start + length].decode().strip()
        line = _line(text, len(encoded[:start].decode(errors="ignore")) + _leading(sql, encoded, start))
        kind, name = _identity(raw.stmt, schema, line)
        found.append(model.Prerequisite(kind=kind, name=name, sql=sql, line=line))
    return tuple(found)


def declared_types(prerequisites: tuple[model.Prerequisite, ...]) -> frozenset[DeclaredType]:
    """The types and domains the prerequisites create, by (schema, name); a range type's multirange too."""
    names = set()
    for item in prerequisites:
        if item.kind in ("domain", "type"):
            schema, name = split_qualified(item.name)
            names.add(DeclaredType(schema, name))
            if item.kind == "type" and "RANGE" in item.sql.upper():
                names.update(_multirange(item.sql, schema, name))
    return frozenset(names)


def _multirange(sql: str, schema: str, name: str) -> list[DeclaredType]:
    """The multirange type PostgreSQL 14+ creates with a range type: MULTIRANGE_TYPE_NAME, else the range's
    name with 'multi' before its first 'range', or with '_multirange' after it (makeMultirangeTypeName)."""
    stmt = pglast.parse_sql(sql)[0].stmt
    if not isinstance(stmt, ast.CreateRangeStmt):
        return []
    for param in stmt.params or ():
        if param.defname == "multirange_type_name" and isinstance(param.arg, ast.TypeName):
            given = string_names(param.arg.names)
            return [DeclaredType(given[0] if len(given) == 2 else schema, given[-1])]
    at = name.find("range")
    return [DeclaredType(schema, f"{name[:at]}multi{name[at:]}" if at >= 0 else f"{name}_multirange")]


def run_text(item: model.Prerequisite) -> str:
    """The statement as apply and the scratch database run it: a function's body is not checked then
    (it may name tables that are created after it; PostgreSQL checks them when it runs)."""
    if item.kind in ("function", "procedure"):
        return f"SET LOCAL check_function_bodies = off;\n{item.sql}"
    return item.sql


def _leading(sql: str, encoded: bytes, start: int) -> int:
    """Characters of blank space and comments before the statement itself starts."""
    rest = encoded[start:].decode(errors="ignore")
    return rest.find(sql[:20]) if sql else 0


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _identity(stmt: ast.Node, schema: str, line: int) -> tuple[model.PrerequisiteKind, str]:
    match stmt:
        case ast.CreateFunctionStmt():
            kind: model.PrerequisiteKind = "procedure" if stmt.is_procedure else "function"
            return kind, f"{_qualified(string_names(stmt.funcname), schema)}({_arguments(stmt)})"
        case ast.CreateDomainStmt():
            return "domain", _qualified(string_names(stmt.domainname), schema)
        case ast.CreateEnumStmt():
            return "type", _qualified(string_names(stmt.typeName), schema)
        case ast.CompositeTypeStmt():
            return "type", _qualified(_range_var_names(stmt.typevar), schema)
        case ast.CreateRangeStmt():
            return "type", _qualified(string_names(stmt.typeName), schema)
        case ast.CreateSeqStmt():
            return "sequence", _qualified(_range_var_names(stmt.sequence), schema)
        case ast.CreateSchemaStmt() if not stmt.schemaElts and stmt.schemaname:
            return "schema", quote_ident(stmt.schemaname)
    raise PrerequisiteError(
        f"prerequisites.sql may only create functions, procedures, domains, types, sequences and schemas; "
        f"this statement is a {type(stmt).__name__}", line,
        hint="other changes to the database are the DBA's, by hand or in a migration of their own")


def _range_var_names(var: ast.RangeVar | None) -> list[str]:
    return [n for n in (var.schemaname, var.relname) if n] if var is not None else []


def _qualified(names: list[str], schema: str) -> str:
    if len(names) > 2:
        raise PrerequisiteError(f"'{'.'.join(names)}': a name is 'name' or 'schema.name'", 0)
    owner = names[0] if len(names) == 2 else schema
    return f"{quote_ident(owner)}.{quote_ident(names[-1])}"


def split_qualified(name: str) -> tuple[str, str]:
    """'"a"."b"' -> ('a', 'b')."""
    schema, name = name_parts(name)
    return schema, name


def name_parts(name: str) -> list[str]:
    """A prerequisite's name as quoted parts, unquoted: '"a"."b"' -> ['a', 'b'], '"a"' -> ['a']."""
    parts = []
    rest = name
    while rest:
        end = 1
        while True:
            end = rest.index('"', end)
            if rest[end + 1:end + 2] == '"':
                end += 2
                continue
            break
        parts.append(rest[1:end].replace('""', '"'))
        rest = rest[end + 2:]  # past the closing quote and the dot
    return parts


def _arguments(stmt: ast.CreateFunctionStmt) -> str:
    """The input argument types, as to_regprocedure reads them."""
    types = []
    for parameter in stmt.parameters or ():
        if parameter.mode in _INPUT_MODES:
            types.append(RawStream()(parameter.argType))
    return ", ".join(types)
