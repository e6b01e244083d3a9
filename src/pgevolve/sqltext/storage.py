"""Table storage parameters (``WITH (fillfactor = 70)``): which ones the format manages, and one spelling each.

PostgreSQL keeps ``pg_class.reloptions`` as the text the user wrote (``0.0050``, ``off``, ``010``), so
values are compared in a canonical spelling: integers in decimal, reals as Python's shortest repr,
booleans ``true``/``false``, enums lower case. Only the parameters below are managed; any other one
in the catalog (``user_catalog_table``, ...) is reported as unmanaged and never reset.
Ranges and kinds follow PostgreSQL 15's ``reloptions.c``; ``toast.<name>`` sets the parameter on the
table's TOAST table (the autovacuum and vacuum ones only, as PostgreSQL allows).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, TypeVar

from pgevolve.sqltext.ident import quote_ident, quote_literal

_INT_MAX = 2_147_483_647
Kind = Literal["integer", "real", "boolean", "enum"]
Value = int | float | bool | str
_Number = TypeVar("_Number", int, float)


@dataclass(frozen=True, slots=True)
class Parameter:
    kind: Kind
    minimum: float = 0
    maximum: float = 0
    choices: tuple[str, ...] = ()  # enum: the canonical values


def _int(minimum: int, maximum: int) -> Parameter:
    return Parameter("integer", minimum, maximum)


def _real(minimum: float, maximum: float) -> Parameter:
    return Parameter("real", minimum, maximum)


_BOOLEAN = Parameter("boolean")
# Valid on a table and on its TOAST table (toast.<name>).
_VACUUM: dict[str, Parameter] = {
    "autovacuum_enabled": _BOOLEAN,
    "autovacuum_vacuum_threshold": _int(0, _INT_MAX),
    "autovacuum_vacuum_scale_factor": _real(0, 100),
    "autovacuum_vacuum_insert_threshold": _int(-1, _INT_MAX),
    "autovacuum_vacuum_insert_scale_factor": _real(0, 100),
    "autovacuum_vacuum_cost_delay": _real(0, 100),
    "autovacuum_vacuum_cost_limit": _int(1, 10000),
    "autovacuum_freeze_min_age": _int(0, 1_000_000_000),
    "autovacuum_freeze_max_age": _int(100_000, 2_000_000_000),
    "autovacuum_freeze_table_age": _int(0, 2_000_000_000),
    "autovacuum_multixact_freeze_min_age": _int(0, 1_000_000_000),
    "autovacuum_multixact_freeze_max_age": _int(10_000, 2_000_000_000),
    "autovacuum_multixact_freeze_table_age": _int(0, 2_000_000_000),
    "log_autovacuum_min_duration": _int(-1, _INT_MAX),
    "vacuum_index_cleanup": Parameter("enum", choices=("auto", "on", "off")),
    "vacuum_truncate": _BOOLEAN,
}
TABLE_PARAMETERS: dict[str, Parameter] = {
    "fillfactor": _int(10, 100),
    "toast_tuple_target": _int(128, 8160),
    "parallel_workers": _int(0, 1024),
    "autovacuum_analyze_threshold": _int(0, _INT_MAX),
    "autovacuum_analyze_scale_factor": _real(0, 100),
    **_VACUUM,
    **{f"toast.{name}": parameter for name, parameter in _VACUUM.items()},
}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_ENUM_ALIASES = {**dict.fromkeys(_TRUE, "on"), **dict.fromkeys(_FALSE, "off")}
_C_INTEGER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


class StorageValueError(ValueError):
    """A value a parameter does not accept; the message says what it accepts."""


def canonical_value(name: str, value: Value) -> str:
    """The one spelling of a parameter's value (from YAML or from reloptions); StorageValueError if invalid."""
    parameter = TABLE_PARAMETERS[name]
    match parameter.kind:
        case "boolean":
            return "true" if _boolean(value) else "false"
        case "enum":
            return _enum(value, parameter)
        case "integer":
            return str(_in_range(_integer(value), parameter))
        case "real":
            return repr(_in_range(_real_number(value), parameter))


def yaml_value(name: str, canonical: str) -> Value:
    """A canonical value as the YAML scalar that gives it back: 70, 0.005, false, auto."""
    match TABLE_PARAMETERS[name].kind:
        case "boolean":
            return canonical == "true"
        case "integer":
            return int(canonical)
        case "real":
            return float(canonical)
        case "enum":
            return canonical


def sql_value(name: str, canonical: str) -> str:
    """The value in a SET (...) list: numbers and booleans bare, an enum as a string literal."""
    return quote_literal(canonical) if TABLE_PARAMETERS[name].kind == "enum" else canonical


def sql_name(name: str) -> str:
    """``fillfactor``, ``toast.autovacuum_enabled``: each part quoted."""
    return ".".join(quote_ident(part) for part in name.split("."))


def describe(name: str) -> str:
    """What the parameter accepts, for an error message."""
    parameter = TABLE_PARAMETERS[name]
    match parameter.kind:
        case "boolean":
            return "true or false"
        case "enum":
            return " or ".join(parameter.choices)
        case "integer":
            return f"a whole number from {parameter.minimum:g} to {parameter.maximum:g}"
        case "real":
            return f"a number from {parameter.minimum:g} to {parameter.maximum:g}"


def _boolean(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    # PostgreSQL's parse_bool also takes any unambiguous prefix: "t", "f", "y", "n".
    if text and any(word.startswith(text) for word in _TRUE) and text not in ("o",):
        return True
    if text and any(word.startswith(text) for word in _FALSE) and text not in ("o",):
        return False
    raise StorageValueError("true or false")


def _enum(value: Value, parameter: Parameter) -> str:
    text = ("on" if value else "off") if isinstance(value, bool) else str(value).strip().lower()
    text = _ENUM_ALIASES.get(text, text)
    if text not in parameter.choices:
        raise StorageValueError(" or ".join(parameter.choices))
    return text


def _integer(value: Value) -> int:
    if isinstance(value, bool | float):
        raise StorageValueError("a whole number")
    if isinstance(value, int):
        return value
    text = value.strip()
    # strtol(..., 0), as PostgreSQL parses integer options: 0x1F is hex, 010 is octal.
    if not _C_INTEGER.fullmatch(text):
        raise StorageValueError("a whole number")
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if digits[:2].lower() == "0x":
        return sign * int(digits, 16)
    return sign * (int(digits, 8) if len(digits) > 1 and digits.startswith("0") else int(digits))


def _real_number(value: Value) -> float:
    if isinstance(value, bool):
        raise StorageValueError("a number")
    try:
        number = float(value)
    except ValueError:
        raise StorageValueError("a number") from None
    if not math.isfinite(number):
        raise StorageValueError("a finite number")
    return number


def _in_range(number: _Number, parameter: Parameter) -> _Number:
    if not parameter.minimum <= number <= parameter.maximum:
        raise StorageValueError(f"from {parameter.minimum:g} to {parameter.maximum:g}")
    return number
