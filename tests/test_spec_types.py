"""spec.types: type names to format_type's spelling, proven against PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from pgevolve.sqltext.type_names import (
    ResolvedType,
    TypeNameError,
    canonical_type,
    fk_compatible,
    fk_narrower,
    resolve_type,
)

CANONICAL = {
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "INTEGER": "integer",
    "int2": "smallint",
    "smallint": "smallint",
    "int8": "bigint",
    "bigint": "bigint",
    "float": "double precision",
    "float8": "double precision",
    "double precision": "double precision",
    "float4": "real",
    "real": "real",
    "float(10)": "real",
    "float(30)": "double precision",
    "bool": "boolean",
    "boolean": "boolean",
    "decimal": "numeric",
    "numeric": "numeric",
    "decimal(12,2)": "numeric(12,2)",
    "numeric(10)": "numeric(10,0)",
    "varchar": "character varying",
    "varchar(20)": "character varying(20)",
    "character varying(320)": "character varying(320)",
    "char": "character(1)",
    "character(2)": "character(2)",
    "char(3)": "character(3)",
    "text": "text",
    "text []": "text[]",
    "text[]": "text[]",
    "int[][]": "integer[]",
    "int array": "integer[]",
    "varchar(20)[]": "character varying(20)[]",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timestamp(3)": "timestamp(3) without time zone",
    "timestamptz(3)": "timestamp(3) with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "interval": "interval",
    "interval(3)": "interval(3)",
    "interval day to second": "interval day to second",
    "interval year": "interval year",
    "bit": "bit(1)",
    "varbit(5)": "bit varying(5)",
    "uuid": "uuid",
    "jsonb": "jsonb",
    "bytea": "bytea",
    "date": "date",
    "inet": "inet",
    "tstzrange": "tstzrange",
    '"char"': '"char"',
}


@pytest.mark.parametrize(("text", "canonical"), CANONICAL.items())
def test_canonical_spelling(text: str, canonical: str) -> None:
    assert resolve_type(text).canonical == canonical


def test_canonical_spelling_is_what_postgresql_prints(db: str) -> None:
    columns = ", ".join(f"c{i} {text}" for i, text in enumerate(CANONICAL))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE t ({columns})")
        rows = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum"
        ).fetchall()
    assert [row[0] for row in rows] == list(CANONICAL.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("serial", ResolvedType(canonical="serial", base="serial", kind="serial")),
        ("serial4", ResolvedType(canonical="serial", base="serial", kind="serial")),
        ("serial8", ResolvedType(canonical="bigserial", base="bigserial", kind="serial")),
        ("smallserial", ResolvedType(canonical="smallserial", base="smallserial", kind="serial")),
        ("custom_fields", ResolvedType(canonical="jsonb", base="jsonb", kind="custom_fields")),
        ("tags", ResolvedType(canonical="jsonb", base="jsonb", kind="tags")),
        ("contact_method", ResolvedType(canonical="contact_method", base="contact_method", kind="enum")),
        (
            "contact_method[]",
            ResolvedType(canonical="contact_method[]", base="contact_method", kind="enum", is_array=True),
        ),
        ("citext", ResolvedType(canonical="citext", base="citext", kind="extension", extension="citext")),
        ("vector(3)", ResolvedType(canonical="vector(3)", base="vector", kind="extension", extension="vector")),
        ("text[]", ResolvedType(canonical="text[]", base="text", kind="builtin", is_array=True)),
    ],
)
def test_resolved_kinds(text: str, expected: ResolvedType) -> None:
    assert resolve_type(text, ["contact_method"]) == expected


def test_enum_names_are_exact_identifiers() -> None:
    with pytest.raises(TypeNameError) as info:
        resolve_type("Contact_Method", ["contact_method"])
    assert info.value.hint == "did you mean 'contact_method'?"


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("intger", "unknown type 'intger'", "did you mean 'integer'?"),
        ("timestamtz", "unknown type 'timestamtz'", "did you mean 'timestamptz'?"),
        ("citex", "unknown type 'citex'", "did you mean 'citext'?"),
        ("string", "unknown type 'string'", "PostgreSQL calls it text"),
        ("double", "unknown type 'double'", "PostgreSQL calls it double precision"),
        ("text); drop table x; --", "'text); drop table x; --' is not a type name", None),
        ("text(5)", "'text(5)': type text takes no modifier", None),
        ("serial[]", "'serial[]': a serial type takes no modifier and cannot be an array", None),
        ("setof int", "'setof int' is not a type name", None),
        ("other.thing", "unknown type 'other.thing'",
         "a type of another schema is declared in schema/prerequisites.sql (CREATE TYPE / CREATE DOMAIN), "
         "or is a project enum"),
    ],
)
def test_unknown_and_malformed_types(text: str, message: str, hint: str | None) -> None:
    with pytest.raises(TypeNameError) as info:
        resolve_type(text)
    assert (str(info.value), info.value.hint) == (message, hint)


def test_canonical_type_keeps_unknown_text() -> None:
    assert canonical_type("int") == "integer"
    assert canonical_type("nonsense") == "nonsense"


@pytest.mark.parametrize(
    ("mine", "theirs", "ok"),
    [
        ("integer", "serial", True),
        ("bigint", "bigserial", True),
        ("smallint", "smallserial", True),
        ("int4", "integer", True),
        ("varchar(20)", "varchar(40)", True),
        ("text", "varchar(40)", True),
        ("integer", "bigint", True),  # one operator family (integer_ops): PostgreSQL accepts it
        ("bigint", "serial", True),
        ("smallint", "serial", True),
        ("uuid", "integer", False),
        ("integer", "numeric", False),
        ("integer", "text", False),
        ("text[]", "text", False),
    ],
)
def test_foreign_key_compatibility(mine: str, theirs: str, ok: bool) -> None:
    assert fk_compatible(resolve_type(mine), resolve_type(theirs)) is ok


@pytest.mark.parametrize(("mine", "theirs", "narrower"), [
    ("integer", "bigserial", True), ("smallint", "integer", True), ("bigint", "serial", False),
    ("integer", "serial", False), ("text", "text", False),
])
def test_foreign_key_narrower(mine: str, theirs: str, narrower: bool) -> None:
    assert fk_narrower(resolve_type(mine), resolve_type(theirs)) is narrower


@pytest.mark.parametrize(("statement", "multirange"), [
    ("CREATE TYPE public.pricerange AS RANGE (SUBTYPE = numeric)", ("public", "pricemultirange")),
    ("CREATE TYPE public.span AS RANGE (SUBTYPE = bigint)", ("public", "span_multirange")),
    ("CREATE TYPE public.span AS RANGE (SUBTYPE = bigint, MULTIRANGE_TYPE_NAME = other.spans)", ("other", "spans")),
])
def test_a_declared_range_declares_its_multirange(statement: str, multirange: tuple[str, str]) -> None:
    """PostgreSQL 14+ creates a multirange with every range type (makeMultirangeTypeName's name)."""
    from pgevolve.sqltext.prerequisites import declared_types, parse_prerequisites

    declared = {(d.schema, d.name) for d in declared_types(parse_prerequisites(statement + ";", "public"))}
    assert declared == {("public", statement.split(".")[1].split()[0]), multirange}
