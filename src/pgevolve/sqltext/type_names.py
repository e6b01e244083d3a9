"""Column type names: what a type text means, and its canonical ``format_type`` spelling.

The one home of type-name knowledge (aliases, serials, extension types). The
text, whether the user's (``varchar(20)``, ``int``) or the catalog's
(``character varying(20)``), is parsed by PostgreSQL's own grammar (pglast),
which already maps the SQL-standard spellings to internal names; this module
maps those back to what ``format_type`` prints, so that the offline model and
the catalog agree and a type can be compared without a server. What a change
of type costs is ``type_changes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pglast
from pglast import ast

from pgevolve.errors import did_you_mean
from pgevolve.sqltext.expression_facts import server_ident
from pgevolve.sqltext.expressions import string_names
from pgevolve.sqltext.ident import quote_name

TypeKind = Literal["builtin", "serial", "enum", "extension", "custom_fields", "tags", "declared"]

# Internal name -> format_type spelling, for types that take no modifier.
_PLAIN = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "char": '"char"',
    **{name: name for name in (
        "text", "uuid", "json", "jsonb", "bytea", "date", "inet", "cidr", "macaddr", "macaddr8", "money", "xml",
        "tsvector", "tsquery", "point", "line", "lseg", "box", "path", "polygon", "circle", "oid", "name", "pg_lsn",
        "jsonpath", "regclass", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
        "int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange",
    )},
}
_SERIAL = {
    "serial": "serial",
    "serial4": "serial",
    "bigserial": "bigserial",
    "serial8": "bigserial",
    "smallserial": "smallserial",
    "serial2": "smallserial",
}
SERIAL_BASE = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}
# Every spelling of a serial type -> the integer type of its column ("serial4" -> "integer").
SERIAL_TYPES = {spelling: SERIAL_BASE[serial] for spelling, serial in _SERIAL.items()}
# Types that come from an extension: the type name -> the extension to list in pgevolve.yaml.
EXTENSION_TYPES = {
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "lquery": "ltree",
    "ltxtquery": "ltree",
    "cube": "cube",
    "seg": "seg",
    "isbn": "isn",
    "isbn13": "isn",
    "issn": "isn",
    "issn13": "isn",
    "ean13": "isn",
    "ismn": "isn",
    "ismn13": "isn",
    "upc": "isn",
    "geometry": "postgis",
    "geography": "postgis",
    "vector": "vector",
    "halfvec": "vector",
    "sparsevec": "vector",
}
# interval field masks (1 << YEAR, MONTH, DAY, HOUR, MINUTE, SECOND in datetime.h) -> format_type's words.
_INTERVAL_FIELDS = {
    4: "year",
    2: "month",
    8: "day",
    1024: "hour",
    2048: "minute",
    4096: "second",
    6: "year to month",
    1032: "day to hour",
    3080: "day to minute",
    7176: "day to second",
    3072: "hour to minute",
    7168: "hour to second",
    6144: "minute to second",
}
_INTERVAL_FULL_RANGE = 0x7FFF
_MAX_TYPE_CHARACTERS = 1_000
_SPELLINGS = (
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "real", "float", "float4", "float8", "numeric",
    "decimal", "boolean", "bool", "text", "varchar", "char", "character", "uuid", "json", "jsonb", "bytea", "date",
    "time", "timetz", "timestamp", "timestamptz", "interval", "inet", "cidr", "macaddr", "macaddr8", "money", "xml",
    "tsvector", "tsquery", "point", "line", "lseg", "box", "path", "polygon", "circle", "oid", "bit", "varbit",
    "serial", "bigserial", "smallserial", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
    "double precision", "character varying", "timestamp with time zone", "custom_fields", "tags",
)
# Names from other languages and databases, and what PostgreSQL calls them.
_FOREIGN_NAMES = {
    "string": "text",
    "str": "text",
    "varchar2": "varchar",
    "datetime": "timestamptz",
    "long": "bigint",
    "int64": "bigint",
    "int32": "integer",
    "double": "double precision",
    "blob": "bytea",
    "binary": "bytea",
    "number": "numeric",
    "tinyint": "smallint",
    "object": "jsonb",
    "dict": "jsonb",
    "array": "text[] (or another type followed by [])",
    "list": "text[] (or another type followed by [])",
}
_ARRAY_SUFFIX = re.compile(r"^(?P<base>.*?)\s*(?P<dims>(\[\s*\d*\s*\]\s*)*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ResolvedType:
    """A column type, understood."""

    canonical: str  # what format_type prints: "character varying(20)[]", "serial", an enum's name
    base: str  # without modifiers or []: "character varying", "integer", "serial"
    kind: TypeKind
    is_array: bool = False
    extension: str | None = None  # the extension the type comes from


@dataclass(frozen=True, slots=True)
class DeclaredType:
    """A type the project declares outside the format (a domain or type of schema/prerequisites.sql):
    its schema (None: the owned schema) and name."""

    schema: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Declared:
    """The declared types and the owned schema they are spelled against (format_type's search_path)."""

    schema: str
    types: frozenset[DeclaredType] = frozenset()

    def find(self, names: list[str]) -> str | None:
        """format_type's spelling of ``[schema.]name`` when it is declared, else None."""
        schema = names[0] if len(names) > 1 else self.schema
        if DeclaredType(schema, names[-1]) not in self.types and not (
                schema == self.schema and DeclaredType(None, names[-1]) in self.types):
            return None
        if schema == self.schema:
            return server_ident(names[-1])
        return f"{server_ident(schema)}.{server_ident(names[-1])}"


class TypeNameError(ValueError):
    """A type text that is not a type pgevolve can use; carries a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def resolve_type(text: str, enums: Collection[str] = (), declared: Declared | None = None) -> ResolvedType:
    """The canonical type for a column's ``type:``; TypeNameError when there is none.

    ``declared``: the domains and types of schema/prerequisites.sql, usable by name or ``schema.name``.
    """
    # Cached: a schema of a thousand tables spells a dozen distinct types (errors are not cached).
    return _resolve(text, frozenset(enums), declared)


@lru_cache(maxsize=4096)
def _resolve(text: str, enums: frozenset[str], declared: Declared | None) -> ResolvedType:
    stripped = text.strip()
    if len(stripped) > _MAX_TYPE_CHARACTERS:
        raise TypeNameError(f"a type of {len(stripped):,} characters is no type pgevolve reads")
    if stripped == "custom_fields":
        return ResolvedType(canonical="jsonb", base="jsonb", kind="custom_fields")
    if stripped == "tags":
        return ResolvedType(canonical="jsonb", base="jsonb", kind="tags")
    enum = _enum_type(stripped, enums)
    if enum is not None:
        return enum
    type_name = _parse(stripped)
    return _from_type_name(text, type_name, enums, declared)


def canonical_type(text: str, enums: Collection[str] = ()) -> str:
    """format_type's spelling of a type text (the text itself when it cannot be resolved)."""
    if not enums:
        return _canonical(text)
    try:
        return resolve_type(text, enums).canonical
    except TypeNameError:
        return text


@lru_cache(maxsize=4096)
def type_sql(text: str) -> str:
    """Any type text (from the YAML or ``format_type``) rebuilt from its parse tree; TypeNameError if none.

    Built-in types come out as ``format_type`` spells them (``character varying(20)``); any
    other type as its one- or two-part name, each part quoted when it must be, with numeric
    or name modifiers and ``[]``. Nothing of the input text is pasted.
    """
    type_name = _parse(text.strip())
    names = string_names(type_name.names)
    modifiers = _modifiers(text, type_name)
    array = "[]" if type_name.arrayBounds else ""
    schema, name = (names[0] if len(names) > 1 else None), names[-1]
    if len(names) > 2:
        raise TypeNameError(f"'{text}': a type name has at most two parts (schema.type)")
    if schema in (None, "pg_catalog") and name in _SERIAL and not modifiers and not array:
        return _SERIAL[name]
    if schema in (None, "pg_catalog") and (name in _PLAIN or name in _WITH_MODIFIERS):
        return _builtin(text, name, modifiers, ())[1] + array
    return ".".join(quote_name(n) for n in names) + modifier_text(modifiers) + array


@lru_cache(maxsize=4096)
def _canonical(text: str) -> str:
    """canonical_type without project enums, cached: the differ asks for every column of both models."""
    try:
        return resolve_type(text).canonical
    except TypeNameError:
        return text


def enum_reference(text: str, enums: frozenset[str], schema: str) -> tuple[str, int] | None:
    """(enum name, array dimensions) when the type names one of ``enums``, else None."""
    text = text.strip()
    dims = 0
    while text.endswith("[]"):
        text, dims = text[:-2].rstrip(), dims + 1
    for prefix in (f'"{schema}".', f"{schema}."):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1].replace('""', '"')
    return (text, dims) if text in enums else None


_INTEGER_WIDTHS = {"smallint": 2, "integer": 4, "bigint": 8}


def fk_compatible(referencing: ResolvedType, referenced: ResolvedType) -> bool:
    """Whether a foreign key from one type to the other is accepted: the same type family.

    PostgreSQL needs an equality operator of the referenced key's operator family between the two
    types; modifiers do not matter (varchar(20) may reference varchar(40)), text and varchar share
    text's operators, and smallint, integer and bigint (serials included) are one family
    (``integer_ops``): ``integer REFERENCES t (bigint)`` is accepted (see ``fk_narrower``).
    """
    return _fk_family(referencing) == _fk_family(referenced)


def fk_narrower(referencing: ResolvedType, referenced: ResolvedType) -> bool:
    """Whether an integer-family referencing column is narrower than the key it references."""
    mine, theirs = (SERIAL_BASE.get(t.base, t.base) for t in (referencing, referenced))
    return _INTEGER_WIDTHS.get(mine, 0) < _INTEGER_WIDTHS.get(theirs, 0) and mine in _INTEGER_WIDTHS


def _fk_family(t: ResolvedType) -> tuple[str, bool]:
    base = SERIAL_BASE.get(t.base, t.base)
    if base in _INTEGER_WIDTHS:
        base = "integer"
    return ("text" if base == "character varying" else base), t.is_array


def is_text_like(t: ResolvedType) -> bool:
    """Whether the column holds text (enum: lists text values; collations apply)."""
    return not t.is_array and t.base in ("text", "character varying", "character", "bpchar", "citext")


def is_integer(t: ResolvedType) -> bool:
    """Whether the column is smallint, integer or bigint (what an identity column may be)."""
    return not t.is_array and t.base in ("smallint", "integer", "bigint")


def _enum_type(text: str, enums: Collection[str]) -> ResolvedType | None:
    """A project enum (names are exact: quoted identifiers), or an array of one."""
    match = _ARRAY_SUFFIX.match(text)
    if match is None or match["base"] not in enums:
        return None
    is_array = bool(match["dims"])
    return ResolvedType(
        canonical=match["base"] + ("[]" if is_array else ""), base=match["base"], kind="enum", is_array=is_array
    )


@lru_cache(maxsize=4096)
def _parse(text: str) -> ast.TypeName:
    """The TypeName of ``NULL::text``: PostgreSQL's grammar decides what is a type.

    Accepted only when the whole statement is that one cast, so that nothing after the
    type (``int FROM pg_class``, a second target) is silently dropped.
    """
    try:
        statements = pglast.parse_sql(f"SELECT NULL::{text}")
    except pglast.parser.ParseError:
        raise TypeNameError(f"'{text}' is not a type name") from None
    stmt = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(stmt, ast.SelectStmt) or _other_clauses(stmt):
        raise TypeNameError(f"'{text}' is not a type name")
    target = stmt.targetList
    cast = target[0].val if target and len(target) == 1 and target[0].name is None else None
    if (not isinstance(cast, ast.TypeCast) or not isinstance(cast.arg, ast.A_Const) or not cast.arg.isnull
            or cast.typeName is None or cast.typeName.setof or cast.typeName.pct_type):
        raise TypeNameError(f"'{text}' is not a type name")
    return cast.typeName


def _other_clauses(stmt: ast.SelectStmt) -> bool:
    return any(getattr(stmt, name) for name in getattr(type(stmt), "__slots__", ()) if name != "targetList")


def _from_type_name(text: str, type_name: ast.TypeName, enums: Collection[str],
                    declared: Declared | None = None) -> ResolvedType:
    names = string_names(type_name.names)
    name = names[-1]
    schema = names[0] if len(names) > 1 else None
    modifiers = _modifiers(text, type_name)
    is_array = bool(type_name.arrayBounds)
    found = declared.find(names) if declared is not None and schema != "pg_catalog" and len(names) <= 2 else None
    if found is not None:
        if modifiers:
            raise TypeNameError(f"'{text}': a domain or declared type takes no modifier")
        return _make(found, found, "declared", is_array)
    if schema not in (None, "pg_catalog") and name not in EXTENSION_TYPES:
        raise TypeNameError(f"unknown type '{text}'", "a type of another schema is declared in "
                            "schema/prerequisites.sql (CREATE TYPE / CREATE DOMAIN), or is a project enum")
    if name in _SERIAL:
        return _serial(text, name, modifiers, is_array)
    if name in EXTENSION_TYPES:
        # An extension installed in another schema: format_type names its types with that schema.
        where = f"{server_ident(schema)}." if schema not in (None, "pg_catalog") else ""
        return _make(where + name + modifier_text(modifiers), name, "extension", is_array,
                     extension=EXTENSION_TYPES[name])
    base, canonical = _builtin(text, name, modifiers, enums)
    return _make(canonical, base, "builtin", is_array)


def _make(canonical: str, base: str, kind: TypeKind, is_array: bool, extension: str | None = None) -> ResolvedType:
    # format_type prints one [] whatever the declared dimensions: PostgreSQL does not enforce them.
    full = canonical + "[]" if is_array else canonical
    return ResolvedType(canonical=full, base=base, kind=kind, is_array=is_array, extension=extension)


def _serial(text: str, name: str, modifiers: list[Modifier], is_array: bool) -> ResolvedType:
    if is_array or modifiers:
        raise TypeNameError(f"'{text}': a serial type takes no modifier and cannot be an array")
    return ResolvedType(canonical=_SERIAL[name], base=_SERIAL[name], kind="serial")


Modifier = int | str  # a number, or a name (``Point`` in geometry(Point, 4326), as the grammar read it)


def _modifiers(text: str, type_name: ast.TypeName) -> list[Modifier]:
    """The type's modifiers: whole numbers, and plain names for the extension types that take them.

    A quoted string modifier (``numeric('10')``) is refused: it is the one form whose text
    would have to be pasted, and no built-in or common extension type needs it.
    """
    values: list[Modifier] = []
    for modifier in type_name.typmods or ():
        if isinstance(modifier, ast.A_Const) and isinstance(modifier.val, ast.Integer) \
                and modifier.val.ival is not None:
            values.append(modifier.val.ival)
        elif isinstance(modifier, ast.ColumnRef) and len(names := string_names(modifier.fields)) == 1 \
                and len(modifier.fields or ()) == 1:
            values.append(names[0])
        else:
            raise TypeNameError(f"'{text}': type modifiers must be whole numbers (or, for an extension type, "
                                "plain names)", "write e.g. numeric(12, 2) or geometry(Point, 4326)")
    return values


def _numbers(text: str, modifiers: list[Modifier]) -> list[str]:
    """The modifiers of a built-in type, which are all numbers."""
    if any(isinstance(m, str) for m in modifiers):
        raise TypeNameError(f"'{text}': type modifiers must be whole numbers")
    return [str(m) for m in modifiers]


def modifier_text(modifiers: list[Modifier]) -> str:
    """``(12,2)``, ``(point,4326)``: numbers as digits, names quoted when they must be."""
    if not modifiers:
        return ""
    return "(" + ",".join(str(m) if isinstance(m, int) else quote_name(m) for m in modifiers) + ")"


def _builtin(text: str, name: str, given: list[Modifier], enums: Collection[str]) -> tuple[str, str]:
    """(base, canonical) of a built-in type; TypeNameError for an unknown one."""
    modifiers = _numbers(text, given)
    if name in _PLAIN:
        if modifiers:
            raise TypeNameError(f"'{text}': type {_PLAIN[name]} takes no modifier")
        return _PLAIN[name], _PLAIN[name]
    with_modifiers = _WITH_MODIFIERS.get(name)
    if with_modifiers is None:
        raise _unknown(text, name, enums)
    return with_modifiers(modifiers)


def _unknown(text: str, name: str, enums: Collection[str]) -> TypeNameError:
    if name.lower() in _FOREIGN_NAMES:
        hint: str | None = f"PostgreSQL calls it {_FOREIGN_NAMES[name.lower()]}"
    else:
        hint = did_you_mean(text.strip(), [*_SPELLINGS, *EXTENSION_TYPES, *enums])
    return TypeNameError(f"unknown type '{text.strip()}'", hint)


def _numeric(mods: list[str]) -> tuple[str, str]:
    if not mods:
        return "numeric", "numeric"
    scale = mods[1] if len(mods) > 1 else "0"  # numeric(10) is numeric(10,0)
    return "numeric", f"numeric({mods[0]},{scale})"


_Speller = Callable[[list[str]], tuple[str, str]]


def _sized(base: str, unsized: str | None = None) -> _Speller:
    def spell(mods: list[str]) -> tuple[str, str]:
        return base, f"{base}({mods[0]})" if mods else (unsized or base)

    return spell


def _datetime(word: str, zone: str) -> _Speller:
    def spell(mods: list[str]) -> tuple[str, str]:
        precision = f"({mods[0]})" if mods else ""
        return f"{word} {zone}", f"{word}{precision} {zone}"

    return spell


def _interval(mods: list[str]) -> tuple[str, str]:
    fields = int(mods[0]) if mods else _INTERVAL_FULL_RANGE
    words = "" if fields == _INTERVAL_FULL_RANGE else " " + _INTERVAL_FIELDS.get(fields, "")
    precision = f"({mods[1]})" if len(mods) > 1 else ""
    return "interval", f"interval{words}{precision}"


_WITH_MODIFIERS: dict[str, _Speller] = {
    "numeric": _numeric,
    "varchar": _sized("character varying"),
    "bpchar": _sized("character", "bpchar"),
    "bit": _sized("bit"),
    "varbit": _sized("bit varying"),
    "timestamp": _datetime("timestamp", "without time zone"),
    "timestamptz": _datetime("timestamp", "with time zone"),
    "time": _datetime("time", "without time zone"),
    "timetz": _datetime("time", "with time zone"),
    "interval": _interval,
}
