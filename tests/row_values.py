"""Candidate values for the rows of ``rows``: by type, from the CHECKs, and JSON documents of the shapes.

Edge values on purpose: integer bounds, empty and multibyte text, quotes and backslashes, infinities,
NaN; the strings and numbers a CHECK names (and each integer's neighbours); the labels of enums; JSON
documents built from the YAML's shapes (every property, only the required ones, the other edge of
each bound), else generic ones of the JSON type a CHECK asks for.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from pgevolve import model
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.type_changes import parse_type

TEXTS = ["plain", "", "Ünïcødé ✓ 日本語 😀", "O'Brien", 'say "hi" \\ back', "  padded  ", "a", "42", "-7", "0",
         "2024-02-29", "true", "x" * 40, "line\nbreak", "tab\there", "%_like", "NULL", "ß", "ǅ", "auto", "home_2",
         "user@example.com", "CA", "Mixed Case"]
INTEGERS = ["0", "1", "-1", "7", "42", "100", "1900", "2024", "32767", "-32768", "2147483647", "-2147483648",
            "9223372036854775807", "-9223372036854775808"]
NUMBERS = ["0", "1.5", "-12.25", "0.01", "99999999.99", "3.14159", "1000", "-0.5", "123456.789"]
FLOATS = ["0", "1.5", "-0.25", "1e300", "-1e-300", "Infinity", "-Infinity", "NaN", "3.4028235e38"]
TIMESTAMPS = ["2024-02-29 13:45:10.123456+00", "1999-12-31 23:59:59+05:30", "1970-01-01 00:00:00+00",
              "infinity", "-infinity", "2038-01-19 03:14:08+00"]
DATES = ["2024-02-29", "1970-01-01", "0001-01-01", "9999-12-31", "infinity"]
TIMES = ["12:34:56", "00:00:00", "23:59:59.999999", "08:00:00.5"]
UUIDS = ["00000000-0000-0000-0000-000000000000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
         "ffffffff-ffff-ffff-ffff-ffffffffffff", "123e4567-e89b-12d3-a456-426614174000"]
DOCUMENTS: list[Any] = [{}, [], {"k": "ünï ✓", "n": 3}, {"referral_source": "web", "campaign": "spring"},
                        {"nested": {"a": [1, 2, None]}, "flag": True}, ["vip", "ünï"], ["a"], {"score": 7},
                        {"vin": "1HGCM82633A004352", "year": 2020}, 0, "text", None]
# A few strings that match patterns the shapes use; others are drawn from TEXTS when they match.
PATTERNED = ["1HGCM82633A004352", "JH4KA8260MC000000", "12345", "1980-05-17", "https://example.com/r.mp3",
             "http://x", "A1"]
OTHER_TYPES: dict[str, list[str]] = {
    "boolean": ["true", "false"],
    "bytea": ["\\x", "\\xdeadbeef00"],
    "inet": ["192.168.0.1", "::1", "10.0.0.0/8"],
    "cidr": ["10.0.0.0/8", "::/0"],
    "interval": ["1 day", "-03:00:00", "0", "1 year 2 mons"],
    "int4range": ["[1,5)", "empty", "(,)", "[-10,10]"],
    "int8range": ["[1,5)", "empty"],
    "numrange": ["[1.5,2.5)", "empty"],
    "tsrange": ["[2024-01-01,2024-02-01)", "empty"],
    "tstzrange": ["[2024-01-01 00:00+00,2024-02-01 00:00+00)", "empty"],
    "daterange": ["[2024-01-01,2024-02-01)", "empty"],
    "money": ["12.34", "-1.00"],
    "xml": ["<a>ü</a>"],
}


@dataclass(frozen=True, slots=True)
class Mapping:
    """Old table <-> new table, old column <-> new column, through the rename hints."""

    old: model.Database
    new: model.Database
    hints: model.Hints

    def new_table(self, old_name: str) -> model.Table | None:
        for table in self.new.tables:
            if self.old_table_name(table.name) == old_name:
                return table
        return None

    def old_table_name(self, new_name: str) -> str | None:
        renamed = self.hints.table_renames.get(new_name)
        if renamed and self.old.table(renamed) and not self.old.table(new_name):
            return renamed
        return new_name if self.old.table(new_name) else None

    def old_column(self, old_table: model.Table, new_table: str, new_column: str) -> str | None:
        renamed = self.hints.column_renames.get((new_table, new_column))
        if renamed and old_table.column(renamed) and not old_table.column(new_column):
            return renamed
        return new_column if old_table.column(new_column) else None


# -- values ---------------------------------------------------------------------------------------

_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_REGEX = re.compile(r"~ '((?:[^']|'')*)'")


def _literals(checks: list[str]) -> list[str]:
    """The strings and numbers the CHECKs name (and each integer's neighbours): values at their edges."""
    found: list[str] = []
    for text in checks:
        found += [m.replace("''", "'") for m in _QUOTED.findall(text)]
        for number in _NUMBER.findall(text):
            value = float(number)
            found += [number] + ([str(int(value) + 1), str(int(value) - 1)] if value.is_integer() else [])
    return found


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def _json_type(document: Any) -> str:
    match document:
        case dict():
            return "object"
        case list():
            return "array"
        case str():
            return "string"
        case bool():
            return "boolean"
        case None:
            return "null"
    return "number"
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


class Pools:
    """Candidate values per column: by type, plus the literals its table's CHECKs name (old and new)."""

    def __init__(self, mapping: Mapping, shapes: dict[str, Any]) -> None:
        self.mapping = mapping
        self.enums = {e.name: e.values for e in (*mapping.old.enums, *mapping.new.enums)}
        self.shapes = shapes

    def value(self, table: model.Table, column: model.Column, rng: random.Random) -> str:
        target = self.mapping.new_table(table.name)
        new_column = None
        if target is not None:
            new_column = next((c for c in target.columns
                               if self.mapping.old_column(table, target.name, c.name) == column.name), None)
        types = [column.type] + ([new_column.type] if new_column is not None else [])
        checks = self._checks(table, target, column.name, new_column.name if new_column else None)
        if any(parse_type(t).base in ("json", "jsonb") for t in types):
            return self._document(table.name, column.name, checks, rng)
        literals = _literals(checks)
        pool = [v for t in types for v in self._by_type(t, table.name, column.name)]
        # A CHECK with a regular expression (code ~ '^[a-z]+$'): prefer the values that match it.
        patterns = [m.replace("''", "'") for text in checks for m in _REGEX.findall(text)]
        matching = [v for v in pool if all(_matches(p, v) for p in patterns)]
        if literals and rng.random() < 0.6:
            return rng.choice(literals)
        return rng.choice(matching or pool or TEXTS)

    def _checks(self, table: model.Table, target: model.Table | None, old_name: str, new_name: str | None) -> list[str]:
        """The expressions of the CHECKs on this column, in either version."""
        texts = [c.expression for c in table.checks if old_name in (referenced_columns(c.expression) or ())]
        if target is not None and new_name is not None:
            texts += [c.expression for c in target.checks if new_name in (referenced_columns(c.expression) or ())]
        return texts

    def _document(self, table: str, column: str, checks: list[str], rng: random.Random) -> str:
        """A shape's document most of the time; else a generic one of the JSON type the CHECKs ask for."""
        shaped = _shape_documents(self.shapes, self._shape_of(table, column))
        kinds = {m for text in checks for m in re.findall(r"jsonb_typeof\([^)]*\) = '(\w+)'", text)}
        generic = [d for d in DOCUMENTS if not kinds or _json_type(d) in kinds]
        pool = shaped if shaped and rng.random() < 0.85 else generic or DOCUMENTS
        return json.dumps(rng.choice(pool), ensure_ascii=False)

    def _by_type(self, type_text: str, table: str, column: str) -> list[str]:
        parsed = parse_type(plain(type_text))
        base = parsed.base.strip('"')
        element = self._scalar(base, parsed.modifiers, table, column)
        if parsed.array_dims:
            return ["{}", *(_array_literal(element[i:i + 2]) for i in range(0, min(len(element), 8), 2))]
        return element

    def _scalar(self, base: str, modifiers: tuple[int, ...], table: str, column: str) -> list[str]:
        if base in self.enums:
            return list(self.enums[base])
        if base in ("smallint", "integer", "bigint"):
            return INTEGERS[:{"smallint": 10, "integer": 12}.get(base, len(INTEGERS))]
        if base == "numeric":
            return NUMBERS + INTEGERS[:9]
        if base in ("real", "double precision"):
            return FLOATS + INTEGERS[:5]
        if base in ("text", "character varying", "character", "citext", "name"):
            return TEXTS + PATTERNED
        if base.startswith("timestamp"):
            return TIMESTAMPS + DATES[:3]
        if base == "date":
            return DATES
        if base.startswith("time"):
            return TIMES
        if base == "uuid":
            return UUIDS
        return OTHER_TYPES.get(base, [])

    def _shape_of(self, table: str, column: str) -> tuple[str, str] | None:
        """("shape" | "items", shape name) of the column in the new YAML, when it has one."""
        spec = self.shapes.get("__columns__", {}).get((table, column))
        target = self.mapping.new_table(table)
        if spec is None and target is not None:
            for (t, c), found in self.shapes.get("__columns__", {}).items():
                if t == target.name and self.mapping.old_column(self.mapping.old.table(table), t, c) == column:
                    return found  # type: ignore[no-any-return]
        return spec  # type: ignore[no-any-return]


def _array_literal(items: list[str]) -> str:
    quoted = ['"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items]
    return "{" + ",".join(quoted) + "}"


# -- JSON documents of a shape ------------------------------------------------------------------

def shape_context(project: Any) -> dict[str, Any]:
    """The shapes of a loaded project, and which (table, column) uses which: what ``fill`` needs."""
    shapes: dict[str, Any] = dict(project.shapes)
    columns = {}
    for table in project.tables:
        for column in table.columns:
            if column.shape:
                columns[(table.name, column.name)] = ("shape", column.shape)
            elif column.items:
                columns[(table.name, column.name)] = ("items", column.items)
    shapes["__columns__"] = columns
    return shapes


def _shape_documents(shapes: dict[str, Any], use: tuple[str, str] | None) -> list[Any]:
    if use is None or use[1] not in shapes:
        return []
    shape = shapes[use[1]]
    documents = [_object(shape, full=True), _object(shape, full=False), _object(shape, full=True, alternate=True)]
    if use[0] == "items":
        return [[documents[0], documents[1]], [], [documents[2]]]
    return documents


def _object(spec: dict[str, Any], *, full: bool, alternate: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = spec.get("properties") or {}
    required = set(spec.get("required") or ())
    result = {}
    for name, prop in properties.items():
        if full or name in required:
            value = _value(prop or {}, alternate=alternate)
            if value is not _NOTHING:
                result[name] = value
    return result


_NOTHING = object()


def _value(prop: dict[str, Any], *, alternate: bool) -> Any:
    kind = prop.get("type", "string")
    if prop.get("enum"):
        values = list(prop["enum"])
        return values[-1] if alternate else values[0]
    if kind == "string":
        return _string(prop, alternate=alternate)
    if kind in ("integer", "number"):
        low, high = prop.get("minimum"), prop.get("maximum")
        value = low if low is not None else high if high is not None else -3 if alternate else 12
        if alternate and high is not None:
            value = high
        if kind == "number" and not alternate and (high is None or value + 0.5 <= high):
            value += 0.5
        return value
    if kind == "boolean":
        return not alternate
    if kind == "object":
        return _object(prop, full=True, alternate=alternate)
    if kind == "array":
        item = _value(prop.get("items") or {}, alternate=alternate)
        return [] if item is _NOTHING else [item, item] if alternate else [item]
    return _NOTHING


def _string(prop: dict[str, Any], *, alternate: bool) -> Any:
    low, high = prop.get("minLength", 0), prop.get("maxLength", 10_000)
    candidates = (PATTERNED + TEXTS) if not alternate else (TEXTS[2:] + PATTERNED)
    pattern = prop.get("pattern")
    for text in candidates:
        if low <= len(text) <= high and (pattern is None or re.search(pattern, text)):
            return text
    return _NOTHING


def plain(type_text: str) -> str:
    """A serial type as the integer type a cast can name."""
    return {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(type_text, type_text)
