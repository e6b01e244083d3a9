"""Column type names: parsing format_type text, aliases, and what a type change costs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

SERIAL_TYPES = {
    "smallserial": "smallint",
    "serial2": "smallint",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
}

# The user's spellings of built-in types -> format_type's spelling.
_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "bool": "boolean",
    "float4": "real",
    "float8": "double precision",
    "float": "double precision",
    "decimal": "numeric",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "varbit": "bit varying",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timetz": "time with time zone",
    "time": "time without time zone",
}

_INTEGERS = ("smallint", "integer", "bigint")
_STRINGS = ("text", "character varying")
_TYPE = re.compile(r"^(?P<head>[^()]*?)\s*(?:\((?P<mods>[\d\s,]+)\))?\s*(?P<tail>[^()]*)$")


@dataclass(frozen=True, slots=True)
class TypeName:
    base: str  # "character varying", "timestamp with time zone", "status"
    modifiers: tuple[int, ...] = ()  # (20,) for varchar(20), (12, 2) for numeric(12,2)
    array_dims: int = 0


def parse_type(text: str) -> TypeName:
    """Split a type as format_type prints it into base, modifiers and array dimensions."""
    text = text.strip()
    dims = 0
    while text.endswith("[]"):
        text, dims = text[:-2].rstrip(), dims + 1
    match = _TYPE.match(text)
    if match is None:
        return TypeName(text, (), dims)
    base = " ".join(f"{match['head']} {match['tail']}".split())
    if '"' not in base:
        base = _ALIASES.get(base.lower(), base.lower())
    mods = tuple(int(m) for m in match["mods"].split(",")) if match["mods"] else ()
    return TypeName(base, mods, dims)


def canonical_type(text: str) -> str:
    """The type as format_type would print it (aliases resolved), for comparison."""
    parsed = parse_type(text)
    mods = f"({','.join(map(str, parsed.modifiers))})" if parsed.modifiers else ""
    if parsed.base.startswith(("timestamp ", "time ")) and mods:
        head, _, tail = parsed.base.partition(" ")
        return f"{head}{mods} {tail}" + "[]" * parsed.array_dims
    return parsed.base + mods + "[]" * parsed.array_dims


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


class Conversion(Enum):
    """What ALTER COLUMN ... TYPE costs for a given old -> new type."""

    COERCIBLE = "coercible"  # binary coercible: catalog only, no scan, no rewrite
    WIDENING = "widening"  # every value converts: the table is rewritten, nothing can fail
    ASSIGNMENT = "assignment"  # a built-in assignment cast: rewrite, and it can fail on some rows
    EXPLICIT = "explicit"  # needs USING col::type: rewrite, and it can fail on some rows


def conversion(old: str, new: str) -> Conversion:
    """Classify a type change; unknown pairs are EXPLICIT (the cautious answer)."""
    a, b = parse_type(old), parse_type(new)
    if a.array_dims != b.array_dims:
        return Conversion.EXPLICIT
    if a.base == b.base:
        return _same_base(a, b)
    if b.base == "text" and a.base in ("character varying", "character"):
        return Conversion.COERCIBLE if a.base == "character varying" else Conversion.WIDENING
    if b.base in _STRINGS:
        # Every type has an assignment cast to the string types (I/O conversion).
        bounded = b.base == "character varying" and b.modifiers
        return Conversion.ASSIGNMENT if bounded else Conversion.WIDENING
    if a.base in _INTEGERS and b.base in _INTEGERS:
        wider = _INTEGERS.index(b.base) > _INTEGERS.index(a.base)
        return Conversion.WIDENING if wider else Conversion.ASSIGNMENT
    return _other_pair(a, b)


def _same_base(a: TypeName, b: TypeName) -> Conversion:
    """Only the modifiers differ: length, precision."""
    if a.base in ("character varying", "bit varying", "timestamp with time zone",
                  "timestamp without time zone", "time with time zone", "time without time zone"):
        wider = not b.modifiers or (a.modifiers and b.modifiers[0] >= a.modifiers[0])
        return Conversion.COERCIBLE if wider else Conversion.ASSIGNMENT
    if a.base == "numeric":
        # Since PostgreSQL 9.2 a larger precision with the same scale needs no rewrite.
        if not b.modifiers:
            return Conversion.COERCIBLE
        same_scale = a.modifiers and _scale(a) == _scale(b) and b.modifiers[0] >= a.modifiers[0]
        return Conversion.COERCIBLE if same_scale else Conversion.ASSIGNMENT
    return Conversion.ASSIGNMENT


def _scale(t: TypeName) -> int:
    return t.modifiers[1] if len(t.modifiers) > 1 else 0


def _other_pair(a: TypeName, b: TypeName) -> Conversion:
    if a.base in ("smallint", "integer") and b.base in ("numeric", "double precision", "bigint"):
        return Conversion.WIDENING if not b.modifiers else Conversion.ASSIGNMENT
    if (a.base, b.base) in {("real", "double precision"), ("date", "timestamp with time zone"),
                            ("date", "timestamp without time zone"),
                            ("timestamp without time zone", "timestamp with time zone")}:
        return Conversion.WIDENING
    numeric_like = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
    if a.base in numeric_like and b.base in numeric_like:
        return Conversion.ASSIGNMENT
    return Conversion.EXPLICIT
