"""JSONB columns lowered to ordinary CHECK constraints and indexes.

``custom_fields`` and ``tags`` are jsonb columns with a fixed contract; a
column with a ``shape`` (an object) or ``items`` (an array of objects) gets
CHECK constraints compiled from the shape, as strict as its ``enforce`` level:
one for the value as a whole (``<table>_<column>_shape``) and one per
top-level property that has something to check (``<table>_<column>_<key>_shape``),
so that a shape evolves one property's CHECK at a time.

PostgreSQL forbids subqueries in CHECK constraints, so nothing here can iterate
with ``jsonb_array_elements``. Instead each CHECK is an SQL/JSON path
predicate (``col @? 'lax $ ? (!(...))'``: "no item breaks the shape"), which
reaches into nested objects and array elements; the root's own type is checked
with ``jsonb_typeof`` because lax mode would unwrap a root array. String lengths
are the one rule jsonpath cannot state (it has no length function, and the
regex ``.{0,n}`` blows up on long strings), so they are SQL ``length()`` terms
for properties reached through objects only; inside arrays they are left to the
generated JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pgevolve import model
from pgevolve.sqltext import ident
from pgevolve.sqltext.ident import quote_ident, quote_literal

Shape = Mapping[str, Any]
_NON_STRING_ELEMENT = 'lax $[*] ? (@.type() != "string")'


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonbLowering:
    type: str
    nullable: bool | None
    default: str | None
    checks: tuple[model.CheckConstraint, ...]
    indexes: tuple[model.Index, ...]


def lower_jsonb_column(table: str, column: str, spec: Mapping[str, Any], shapes: Mapping[str, Shape]) -> JsonbLowering:
    """The column's CHECKs and indexes (and, for tags/custom_fields, its NOT NULL and default)."""
    col = quote_ident(column)
    match spec.get("type"):
        case "custom_fields":
            return _builtin(table, column, "'{}'::jsonb", f"jsonb_typeof({col}) = 'object'")
        case "tags":
            every_string = f"NOT ({col} @? {quote_literal(_NON_STRING_ELEMENT)})"
            return _builtin(table, column, "'[]'::jsonb", f"jsonb_typeof({col}) = 'array' AND {every_string}")
    shape_name = spec.get("shape") or spec.get("items")
    if not shape_name:
        return JsonbLowering(type="jsonb", nullable=None, default=None, checks=(), indexes=())
    shape = shapes[shape_name]
    checks = tuple(
        model.CheckConstraint(name=ident.make_object_name(table, column if key is None else f"{column}_{key}",
                                                          "shape"), expression=expression)
        for key, expression in shape_checks(col, shape, as_items="items" in spec)
    )
    indexes = () if "items" in spec else _property_indexes(table, column, shape)
    return JsonbLowering(type="jsonb", nullable=None, default=None, checks=checks, indexes=indexes)


def _builtin(table: str, column: str, default: str, check: str) -> JsonbLowering:
    gin = model.Index(name=ident.index_name(table, [column]), keys=(model.IndexKey(column=column),), method="gin")
    return JsonbLowering(
        type="jsonb", nullable=False, default=default,
        checks=(model.CheckConstraint(name=ident.check_name(table, column), expression=check),),
        indexes=(gin,),
    )


def _property_indexes(table: str, column: str, shape: Shape) -> tuple[model.Index, ...]:
    indexes = []
    for key, prop in (shape.get("properties") or {}).items():
        if prop.get("index") in (True, "unique"):
            expression = f"({quote_ident(column)} ->> {quote_literal(key)})"
            indexes.append(model.Index(
                name=ident.make_object_name(table, f"{column}_{key}", "idx"),
                keys=(model.IndexKey(expression=expression),),
                unique=prop["index"] == "unique",
            ))
    return model.sort_by_name(indexes)


def enforce_level(shape: Shape) -> str:
    return str(shape.get("enforce", "types"))


def shape_checks(col: str, shape: Shape, *, as_items: bool) -> list[tuple[str | None, str]]:
    """The CHECK expressions of a shaped column (``col`` quoted): (None, the root's) then (key, each property's).

    One CHECK per top-level property rather than one for the whole shape, so that
    a shape's evolution touches only the CHECKs it must: adding an optional
    property adds at most one small CHECK (see ``property_checked``) and
    leaves the others, with their validated state, alone; tightening one
    property re-validates that property only. The root CHECK holds what is
    about the whole value: its JSON type and, when strict, that no undeclared
    key appears. ``enforce: none`` has no CHECK at all.
    """
    level = enforce_level(shape)
    if level == "none":
        return [(key, _types_check(col, key, prop, shape, as_items=as_items))
                for key, prop in (shape.get("properties") or {}).items() if property_checked(prop, level)]
    strict = level == "strict"
    base = "lax $[*]" if as_items else "lax $"
    root_type = "array" if as_items else "object"
    root = [f"jsonb_typeof({col}) = '{root_type}'"]
    if as_items or strict:
        element = ['@.type() == "object"'] if as_items else []
        element += [_undeclared_keys("@", shape)] if strict else []
        root.append(_nothing_breaks(col, base, " && ".join(element)))
    checks: list[tuple[str | None, str]] = [(None, " AND ".join(root))]
    for key, prop in (shape.get("properties") or {}).items():
        if not property_checked(prop, level):
            continue
        term = _property_term("@", key, prop, shape, strict=strict)
        if term is None:
            continue
        terms = [_nothing_breaks(col, base, term)]
        if strict and not as_items:
            terms += _length_terms(col, (key,), prop)
        checks.append((key, " AND ".join(terms)))
    return checks


def property_checked(prop: Mapping[str, Any], level: str) -> bool:
    """Whether PostgreSQL checks this top-level property: its own ``check``, else what the level implies.

    ``strict`` checks every property. ``types`` checks the indexed ones only: an
    optional property that no query leans on is the application's business (the
    generated JSON Schema states it), so that adding one to a shape needs no DDL,
    and the CHECKs a table carries are the ones its queries rely on. ``none``
    checks nothing. ``check: true`` asks for a property's type check in any mode.
    """
    if "check" in prop:
        return bool(prop["check"])
    if level == "strict":
        return True
    return level == "types" and prop.get("index") in (True, "unique")


def _types_check(col: str, key: str, prop: Mapping[str, Any], shape: Shape, *, as_items: bool) -> str:
    """A property's ``types``-level CHECK on its own (for ``check: true`` under ``enforce: none``)."""
    term = _property_term("@", key, prop, shape, strict=False) or "true"
    return _nothing_breaks(col, "lax $[*]" if as_items else "lax $", term)


def _nothing_breaks(col: str, base: str, predicate: str) -> str:
    """``col`` has no item at ``base`` for which ``predicate`` is false."""
    return f"NOT ({col} @? {quote_literal(f'{base} ? (!({predicate}))')})"


# -- jsonpath predicates: "the item at `at` conforms" --------------------------------------------

def _json_string(value: str) -> str:
    """A jsonpath string literal (JSON escaping is valid jsonpath escaping)."""
    return json.dumps(value, ensure_ascii=False)


def _json_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _json_string(value)
    if value is None:
        return "null"
    return repr(value)


def _member(at: str, key: str) -> str:
    return f"{at}.{_json_string(key)}"


def _object_predicate(at: str, shape: Shape, *, strict: bool, typed: bool = False) -> str:
    """``typed``: the caller already checked that the item is an object."""
    properties: Mapping[str, Any] = shape.get("properties") or {}
    terms = [] if typed else [f'{at}.type() == "object"']
    for key, prop in properties.items():
        term = _property_term(at, key, prop, shape, strict=strict)
        terms += [term] if term is not None else []
    if strict:
        terms.append(_undeclared_keys(at, shape))
    return " && ".join(terms) or "true"


def _property_term(at: str, key: str, prop: Mapping[str, Any], shape: Shape, *, strict: bool) -> str | None:
    """"The property ``key`` of the object at ``at`` conforms"; None when nothing is to check."""
    member = _member(at, key)
    conforms = _value_predicate(member, prop, strict=strict)
    if strict and key in (shape.get("required") or ()):
        return f"exists({member}) && {conforms}"
    if conforms == "(true)":
        return None
    return f"(!exists({member}) || {conforms})"


def _undeclared_keys(at: str, shape: Shape) -> str:
    allowed = " && ".join(f"@.key != {_json_string(k)}" for k in shape.get("properties") or {}) or "true"
    return f"!exists({at}.keyvalue() ? ({allowed}))"


def _value_predicate(at: str, prop: Mapping[str, Any], *, strict: bool) -> str:
    typed = _typed_predicate(at, prop, strict=strict)
    if prop.get("nullable"):
        return f'({at}.type() == "null" || ({typed}))'
    return f"({typed})"


_JSON_TYPES = {"string": "string", "number": "number", "integer": "number", "boolean": "boolean",
               "object": "object", "array": "array"}


def _typed_predicate(at: str, prop: Mapping[str, Any], *, strict: bool) -> str:
    kind = prop.get("type")
    if kind is None:
        return "true"
    terms = [f"{at}.type() == {_json_string(_JSON_TYPES[kind])}"]
    if kind == "integer":
        terms.append(f"{at} == {at}.floor()")
    if kind == "object" and prop.get("properties") is not None:
        terms.append(_object_predicate(at, prop, strict=strict, typed=True))
    if kind == "array" and prop.get("items"):
        item = _value_predicate("@", prop["items"], strict=strict)
        terms.append(f"!exists({at}[*] ? (!{item}))")
    if strict:
        terms += _strict_terms(at, prop)
    return " && ".join(terms)


def _strict_terms(at: str, prop: Mapping[str, Any]) -> list[str]:
    terms = []
    if "enum" in prop:
        terms.append("(" + " || ".join(f"{at} == {_json_literal(v)}" for v in prop["enum"]) + ")")
    if "pattern" in prop:
        terms.append(f"{at} like_regex {_json_string(prop['pattern'])}")
    if "minimum" in prop:
        terms.append(f"{at} >= {_json_literal(prop['minimum'])}")
    if "maximum" in prop:
        terms.append(f"{at} <= {_json_literal(prop['maximum'])}")
    return terms


# -- string lengths, in SQL ----------------------------------------------------------------------

def _length_terms(col: str, path: tuple[str, ...], prop: Mapping[str, Any]) -> list[str]:
    """SQL length() terms for the property at ``path`` (and, for an object, the properties inside it)."""
    if prop.get("type") == "object":
        return [term for key, inner in (prop.get("properties") or {}).items()
                for term in _length_terms(col, (*path, key), inner)]
    if prop.get("type") != "string":
        return []
    text = f"({col} #>> {quote_literal(_text_array(path))})"
    # Only for a JSON string: another type was rejected above, and its text has no "length".
    is_string = f"jsonb_typeof({col} #> {quote_literal(_text_array(path))}) = 'string'"
    terms = []
    if "minLength" in prop:
        terms.append(f"(NOT {is_string} OR length{text} >= {int(prop['minLength'])})")
    if "maxLength" in prop:
        terms.append(f"(NOT {is_string} OR length{text} <= {int(prop['maxLength'])})")
    return terms


def _text_array(path: tuple[str, ...]) -> str:
    """A text[] literal: {"a","b"} with quotes and backslashes escaped."""
    return "{" + ",".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in path) + "}"


def shape_json_schema(shape: Shape, shapes: Mapping[str, Shape]) -> dict[str, Any]:
    """A JSON Schema 2020-12 document for application-side validation of the shape."""
    from pgevolve.source.shape_schema import shape_document

    return shape_document(shape)
