"""Shapes compiled to CHECK constraints, enforced by PostgreSQL itself."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from pgevolve import model
from pgevolve.source.jsonb import JsonbLowering, lower_jsonb_column

PERSON: dict[str, Any] = {
    "shape": "person",
    "enforce": "strict",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 10},
        "age": {"type": "integer", "minimum": 0, "maximum": 130},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "code": {"type": "string", "pattern": "^\\d{3}-[A-Z]\"'$"},
        "nick": {"type": "string", "nullable": True},
        "weird key.with 'quotes'": {"type": "boolean"},
        "address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}},
                    "required": ["zip"]},
        "phones": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}},
    },
    "required": ["name"],
}
TYPES_ONLY = {**PERSON, "enforce": "types", "properties": {
    **PERSON["properties"],
    "age": {**PERSON["properties"]["age"], "index": True},  # indexed: checked under types
    "address": {**PERSON["properties"]["address"], "check": True},  # asked for
    "phones": {**PERSON["properties"]["phones"], "check": True},
}}


def shape_check(shape: dict[str, Any], *, as_items: bool) -> str | None:
    """Every CHECK the column ``doc`` gets for the shape, as one expression (None: nothing enforced)."""
    spec = {"type": "jsonb", "items" if as_items else "shape": "p"}
    checks = lower_jsonb_column("t", "doc", spec, {"p": shape}).checks
    return " AND ".join(f"({c.expression})" for c in checks) or None


def _table_with(db: str, check: str) -> psycopg.Connection:
    conn = psycopg.connect(db, autocommit=True)
    conn.execute(f'CREATE TABLE t (id serial, doc jsonb, CONSTRAINT t_doc_shape CHECK ({check}))')  # type: ignore[arg-type]
    return conn


def _accepts(conn: psycopg.Connection, value: object) -> bool:
    try:
        conn.execute("INSERT INTO t (doc) VALUES (%s::jsonb)", (None if value is None else json.dumps(value),))
        return True
    except psycopg.errors.CheckViolation:
        return False


STRICT_CASES = [
    ({"name": "Ann"}, True),
    (None, True),  # a NULL column passes: CHECK is not NOT NULL
    ({"name": "Ann", "age": 30, "kind": "a", "code": "123-X\"'", "nick": None, "weird key.with 'quotes'": True,
      "address": {"zip": "12345"}, "phones": ["555"]}, True),
    ({}, False),  # required name missing
    ({"name": ""}, False),  # minLength
    ({"name": "Bartholomew the Great"}, False),  # maxLength
    ({"name": "Ann", "age": 30.5}, False),  # integer
    ({"name": "Ann", "age": "30"}, False),  # type
    ({"name": "Ann", "age": 131}, False),  # maximum
    ({"name": "Ann", "age": -1}, False),  # minimum
    ({"name": "Ann", "kind": "c"}, False),  # enum
    ({"name": "Ann", "code": "12-X\"'"}, False),  # pattern
    ({"name": "Ann", "nick": 3}, False),
    ({"name": "Ann", "weird key.with 'quotes'": "yes"}, False),
    ({"name": "Ann", "address": {}}, False),  # nested required
    ({"name": "Ann", "address": {"zip": "123456"}}, False),  # nested maxLength
    ({"name": "Ann", "address": {"zip": "1", "x": 1}}, False),  # nested undeclared key
    ({"name": "Ann", "phones": ["555", "5x5"]}, False),  # array item pattern
    ({"name": "Ann", "phones": "555"}, False),  # not an array
    ({"name": "Ann", "shoe": 9}, False),  # undeclared key
    ([{"name": "Ann"}], False),  # an array is not an object
    ("Ann", False),
]


@pytest.mark.parametrize(("value", "accepted"), STRICT_CASES)
def test_strict_shape(db: str, value: object, accepted: bool) -> None:
    check = shape_check(PERSON, as_items=False)
    assert check is not None
    with _table_with(db, check) as conn:
        assert _accepts(conn, value) is accepted


@pytest.mark.parametrize(("value", "accepted"), [
    ({}, True),  # types: required is not enforced
    ({"kind": "z", "age": 500, "shoe": 9}, True),  # nor enum, bounds, undeclared keys
    ({"age": "old"}, False),  # but the types of indexed properties are
    ({"address": {"zip": 12345}}, False),  # and of those with check: true, nested ones included
    ({"phones": [1]}, False),
    ({"name": 5, "nick": [], "weird key.with 'quotes'": "yes"}, True),  # optional, not indexed: not checked
    ([], False),
])
def test_types_shape(db: str, value: object, accepted: bool) -> None:
    check = shape_check(TYPES_ONLY, as_items=False)
    assert check is not None
    with _table_with(db, check) as conn:
        assert _accepts(conn, value) is accepted


@pytest.mark.parametrize(("value", "accepted"), [
    ({"age": 5, "name": 7}, True),
    ({"age": "old"}, False),  # check: true under enforce: none
    ([1], True),  # none: the value's own type is not checked
])
def test_check_true_under_none(db: str, value: object, accepted: bool) -> None:
    shape = {**PERSON, "enforce": "none", "properties": {"age": {"type": "integer", "check": True},
                                                          "name": {"type": "string"}}}
    check = shape_check(shape, as_items=False)
    assert check is not None
    with _table_with(db, check) as conn:
        assert _accepts(conn, value) is accepted


def test_check_false_under_strict_leaves_the_property_to_the_application(db: str) -> None:
    kind = {"type": "string", "enum": ["a"], "check": False}
    shape = {**PERSON, "properties": {**PERSON["properties"], "kind": kind}}
    check = shape_check(shape, as_items=False)
    assert check is not None
    with _table_with(db, check) as conn:
        assert _accepts(conn, {"name": "Ann", "kind": 42}) is True  # declared, so not an undeclared key
        assert _accepts(conn, {"name": "Ann", "age": 200}) is False  # the others stay strict


@pytest.mark.parametrize(("value", "accepted"), [
    ([], True),
    ([{"name": "Ann"}, {"name": "Bob", "kind": "b"}], True),
    ([{"name": "Ann"}, {"kind": "b"}], False),  # second element misses required name
    ([{"name": "Ann", "kind": "zzz"}], False),
    ({"name": "Ann"}, False),  # an object is not an array
])
def test_items_shape(db: str, value: object, accepted: bool) -> None:
    check = shape_check(PERSON, as_items=True)
    assert check is not None
    with _table_with(db, check) as conn:
        assert _accepts(conn, value) is accepted


def test_enforce_none_has_no_check() -> None:
    lowered = lower_jsonb_column("t", "doc", {"type": "jsonb", "shape": "p"}, {"p": {**PERSON, "enforce": "none"}})
    assert lowered == JsonbLowering(type="jsonb", nullable=None, default=None, checks=(), indexes=())


def test_custom_fields_and_tags_lowering() -> None:
    assert lower_jsonb_column("leads", "custom_fields", {"type": "custom_fields"}, {}) == JsonbLowering(
        type="jsonb", nullable=False, default="'{}'::jsonb",
        checks=(model.CheckConstraint(name="leads_custom_fields_check",
                                      expression="""jsonb_typeof("custom_fields") = 'object'"""),),
        indexes=(model.Index(name="leads_custom_fields_idx", keys=(model.IndexKey(column="custom_fields"),),
                             method="gin"),),
    )
    tags = lower_jsonb_column("leads", "tags", {"type": "tags"}, {})
    assert (tags.nullable, tags.default, [c.name for c in tags.checks], [i.name for i in tags.indexes]) == (
        False, "'[]'::jsonb", ["leads_tags_check"], ["leads_tags_idx"])


def test_indexed_properties_become_expression_indexes() -> None:
    shape = {"shape": "v", "properties": {"vin": {"type": "string", "index": "unique"},
                                          "make": {"type": "string", "index": True}}}
    lowered = lower_jsonb_column("leads", "auto_data", {"type": "jsonb", "shape": "v"}, {"v": shape})
    assert lowered.indexes == (
        model.Index(name="leads_auto_data_make_idx", keys=(model.IndexKey(expression="(\"auto_data\" ->> 'make')"),)),
        model.Index(name="leads_auto_data_vin_idx", keys=(model.IndexKey(expression="(\"auto_data\" ->> 'vin')"),),
                    unique=True),
    )
