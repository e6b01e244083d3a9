"""What ALTER COLUMN ... TYPE costs: a type's canonical text split into parts, and each old -> new pair classified.

Type names are understood by ``type_names`` (the one alias table); this module
only splits its canonical spelling into base, modifiers and array dimensions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from pgevolve.sqltext.type_names import canonical_type

_INTEGERS = ("smallint", "integer", "bigint")
_STRINGS = ("text", "character varying")
_TYPE = re.compile(r"^(?P<head>[^()]*?)\s*(?:\((?P<mods>[\d\s,]+)\))?\s*(?P<tail>[^()]*)$")


@dataclass(frozen=True, slots=True)
class TypeName:
    base: str  # "character varying", "timestamp with time zone", "status"
    modifiers: tuple[int, ...] = ()  # (20,) for varchar(20), (12, 2) for numeric(12,2)
    array_dims: int = 0


def parse_type(text: str) -> TypeName:
    """Split a type, in format_type's spelling (any other is canonicalized first), into its parts."""
    text = canonical_type(text.strip())
    dims = 0
    while text.endswith("[]"):
        text, dims = text[:-2].rstrip(), dims + 1
    match = _TYPE.match(text)
    if match is None:
        return TypeName(text, (), dims)
    base = " ".join(f"{match['head']} {match['tail']}".split())
    if '"' not in base:
        base = base.lower()
    mods = tuple(int(m) for m in match["mods"].split(",")) if match["mods"] else ()
    return TypeName(base, mods, dims)


class Conversion(Enum):
    """What ALTER COLUMN ... TYPE costs for a given old -> new type."""

    COERCIBLE = "coercible"  # binary coercible: catalog only, no scan, no rewrite
    WIDENING = "widening"  # every value converts: the table is rewritten, nothing can fail
    ASSIGNMENT = "assignment"  # a built-in assignment cast: rewrite, and it can fail on some rows (never rounds)
    ROUNDING = "rounding"  # an assignment cast that rounds away digits or time precision without an error
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
    wider = not b.modifiers or bool(a.modifiers and b.modifiers[0] >= a.modifiers[0])
    if a.base in ("character varying", "bit varying"):
        # A value too long for the new length raises: rejected, never cut.
        return Conversion.COERCIBLE if wider else Conversion.ASSIGNMENT
    if a.base in ("character", "bit"):
        return Conversion.ASSIGNMENT  # a fixed length pads or raises: the table is rewritten
    if a.base in ("timestamp with time zone", "timestamp without time zone", "time with time zone",
                  "time without time zone"):
        return Conversion.COERCIBLE if wider else Conversion.ROUNDING
    if a.base == "numeric":
        return _numeric(a, b)
    return Conversion.ROUNDING  # other modifiers (interval fields, extension types): assume the worst


def _numeric(a: TypeName, b: TypeName) -> Conversion:
    """numeric(p,s) -> numeric(q,t): p - s digits before the point, s after."""
    if not b.modifiers:
        return Conversion.COERCIBLE  # unconstrained numeric holds every value as it is
    if not a.modifiers:
        return Conversion.ROUNDING
    if _scale(b) < _scale(a):
        return Conversion.ROUNDING  # digits after the point are rounded away
    if b.modifiers[0] - _scale(b) < a.modifiers[0] - _scale(a):
        return Conversion.ASSIGNMENT  # fewer digits before the point: a large value raises
    # PostgreSQL's numeric_support skips the rewrite only when the scale is unchanged
    # (9.2+); a larger scale rewrites every value with the extra zeros.
    return Conversion.COERCIBLE if _scale(b) == _scale(a) else Conversion.WIDENING


def _scale(t: TypeName) -> int:
    return t.modifiers[1] if len(t.modifiers) > 1 else 0


def _other_pair(a: TypeName, b: TypeName) -> Conversion:
    integers = ("smallint", "integer", "bigint")
    if a.base in integers and b.base == "numeric":
        # An integer has no fractional digits: numeric(p,s) may reject it, never round it.
        return Conversion.WIDENING if not b.modifiers else Conversion.ASSIGNMENT
    if a.base in ("smallint", "integer") and b.base in ("double precision", "bigint"):
        return Conversion.WIDENING if not b.modifiers else Conversion.ASSIGNMENT
    if (a.base, b.base) in {("real", "double precision"), ("date", "timestamp with time zone"),
                            ("date", "timestamp without time zone"),
                            ("timestamp without time zone", "timestamp with time zone")}:
        return Conversion.WIDENING
    numeric_like = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
    if a.base in numeric_like and b.base in numeric_like:
        return Conversion.ROUNDING  # to an integer, a float or a scale: fractional or low digits are lost
    return Conversion.EXPLICIT


def through_text(old: str, new: str) -> bool:
    """Whether a column changes from one user-defined type (an enum or domain of another schema) to another:
    PostgreSQL has no cast between two enums, so the value goes through text (``col::text::new``)."""
    from pgevolve.sqltext.type_names import TypeNameError, resolve_type

    def user_defined(text: str) -> bool:
        try:
            return resolve_type(text).kind == "declared"
        except TypeNameError:
            return True

    return old != new and user_defined(old) and user_defined(new)
