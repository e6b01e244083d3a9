"""sqltext/fragments.py and ident: every fragment that reaches SQL is rebuilt, quoted or checked."""

from __future__ import annotations

import string
import unicodedata

import pglast
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pglast import ast

from pgevolve import model
from pgevolve.errors import UnsafeSql, printable
from pgevolve.server.connect import mask_password
from pgevolve.sqltext import ddl
from pgevolve.sqltext.fragments import (
    collation_sql,
    comment_text,
    default_sql,
    display_sql,
    dollar_quote,
    expression_sql,
    opclass_sql,
    safe_type,
)
from pgevolve.sqltext.ident import quote_literal, quote_name

# What format_type prints comes back unchanged: plans read as they did.
CATALOG_TYPES = [
    "integer", "bigint", "smallint", "text", "character varying(20)", "character varying", "character(3)", "bpchar",
    "numeric(12,2)", "numeric", "numeric(5,-2)", "timestamp with time zone", "timestamp(3) without time zone",
    "time(2) with time zone", "interval", "interval day to second(3)", "interval year", "double precision", "real",
    "boolean", "jsonb", "uuid", "text[]", "integer[]", "bit(1)", "bit varying(5)", '"char"', "status",
    '"My Status"', "public.geometry(point,4326)", "citext", "information_schema.cardinal_number", "serial",
]  # fmt: skip
HOSTILE = [
    "numeric('10), x int); DROP TABLE canary; CREATE TEMP TABLE z (y numeric(10')",
    "int); DROP TABLE canary; --", "int -- x\n, y int", "int FROM pg_class", "text, x text", "int4 %TYPE",
    "setof int", "a.b.c.d", "varchar(x)", "numeric(1+1)",
]  # fmt: skip


@pytest.mark.parametrize("text", CATALOG_TYPES)
def test_catalog_types_come_back_as_they_are(text: str) -> None:
    assert safe_type(text) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_types_are_refused(text: str) -> None:
    with pytest.raises(UnsafeSql):
        safe_type(text)


def test_type_spellings_are_rebuilt() -> None:
    assert safe_type("int4 /* c */") == "integer"
    assert safe_type("varchar(20)[][]") == "character varying(20)[]"
    assert safe_type('geometry("Point", 4326)') == 'geometry("Point",4326)'


@pytest.mark.parametrize(("name", "sql"), [
    ("jsonb_path_ops", '"jsonb_path_ops"'), ("extensions.gin_trgm_ops", '"extensions"."gin_trgm_ops"'),
    ("MyOps", '"MyOps"'), ("text_ops); DROP TABLE canary; --", '"text_ops); DROP TABLE canary; --"'),
    ('x"); --', '"x""); --"'),
])
def test_opclass_names_are_quoted_as_written(name: str, sql: str) -> None:
    assert opclass_sql(name) == sql


@pytest.mark.parametrize("name", ["", ".x", "x.", "a\0b"])
def test_opclasses_that_are_no_name_are_refused(name: str) -> None:
    with pytest.raises(UnsafeSql):
        opclass_sql(name)


def test_collations() -> None:
    assert collation_sql("C") == '"C"'
    assert collation_sql("en_US.utf8") == '"en_US.utf8"'
    assert collation_sql('x"; DROP') == '"x""; DROP"'
    assert collation_sql('"pg_catalog"."C"') == '"pg_catalog"."C"'
    for text in ('"C", x int); --', '"a"b', '"a"."b"."c"', '"'):
        with pytest.raises(UnsafeSql):
            collation_sql(text)


@pytest.mark.parametrize("collation", ["en_US.utf8", "my.coll", "x.y); DROP TABLE canary; --",
                                       'a"."b; DROP TABLE canary', "c\nDROP TABLE canary"])
def test_a_dotted_or_hostile_collation_is_one_quoted_name_in_every_statement(collation: str) -> None:
    """Every statement that writes COLLATE names one collation, the text as written (was: dotted text pasted)."""
    column = model.Column(name="c", type="text", collation=collation)
    statements = [ddl.create_table(model.Table(name="t", columns=(column,)), SCOPE),
                  ddl.add_column("t", column, SCOPE),
                  ddl.alter_column_type("t", column, SCOPE, using=True)]
    for sql in statements:
        parsed = pglast.parse_sql(sql)
        assert len(parsed) == 1, sql
        names = [node.collname for node in _walk(parsed[0].stmt) if isinstance(node, ast.CollateClause)]
        assert names == [(ast.String(sval=collation),)], sql


def _walk(node: object) -> list[object]:
    found = [node]
    if isinstance(node, ast.Node):
        for value in (getattr(node, name) for name in node):
            found += _walk(value)
    elif isinstance(node, tuple):
        for value in node:
            found += _walk(value)
    return found


@pytest.mark.parametrize(("text", "sql"), [
    ("now()", "now()"), ("0", "0"), ("'x'::text", "'x'::text"), ("-1", "-1"),
    ("true AND false", "(true AND false)"), ("'x' COLLATE \"C\"", "('x' COLLATE \"C\")"),
    ("1 IS NULL", "(1 IS NULL)"),
])
def test_defaults_fit_the_default_clause(text: str, sql: str) -> None:
    assert default_sql(text) == sql


@pytest.mark.parametrize("text", ["now()); DROP TABLE canary; --", "1; DROP TABLE x", "1 -- c", "1, 2", "(1", ""])
def test_hostile_expressions_are_refused(text: str) -> None:
    with pytest.raises(UnsafeSql):
        expression_sql(text)


def _column(**fields: object) -> model.Column:
    return model.Column(**{"name": "c", "type": "text", **fields})  # type: ignore[arg-type]


SCOPE = ddl.Scope("public")


@pytest.mark.parametrize("build", [
    lambda: ddl.column_definition("t", _column(type="numeric('1), x int); --')"), SCOPE),
    lambda: ddl.column_definition("t", _column(collation='"C", x int); --'), SCOPE),
    lambda: ddl.column_definition("t", _column(default="1); DROP TABLE canary; --"), SCOPE),
    lambda: ddl.column_definition("t", _column(generated="1) STORED; DROP TABLE x; --"), SCOPE),
    lambda: ddl.column_definition("t", _column(type="integer", identity="ALWAYS AS IDENTITY; DROP TABLE x; --"),
                                  SCOPE),
    lambda: ddl.create_index("t", model.Index(name="i", keys=(model.IndexKey(column="c", opclass=".x"),)),
                             SCOPE, concurrently=False),
    lambda: ddl.create_index("t", model.Index(name="i", keys=(model.IndexKey(column="c"),), where="true); --"),
                             SCOPE, concurrently=False),
    lambda: ddl.constraint_clause(model.ForeignKey(name="f", columns=("c",), ref_table="r", ref_columns=("c",),
                                                   on_delete="CASCADE; DROP TABLE x"), SCOPE),  # type: ignore[arg-type]
    lambda: ddl.constraint_clause(model.CheckConstraint(name="k", expression="true); DROP TABLE x; --"), SCOPE),
    lambda: ddl.alter_sequence_type("s", "bigint; DROP TABLE x", SCOPE),
])
def test_ddl_refuses_what_validation_would_have(build: object) -> None:
    with pytest.raises(UnsafeSql):
        build()  # type: ignore[operator]


def test_ddl_refuses_an_unknown_access_method() -> None:
    index = model.Index(name="i", keys=(model.IndexKey(column="c"),), method="btree (c); --")
    with pytest.raises(UnsafeSql):
        ddl.create_index("t", index, SCOPE, concurrently=False)


# -- properties: what PostgreSQL's own lexer makes of the output ------------------------------------

def _controls(char: str) -> bool:
    """What moves the cursor, ends a line or starts an escape sequence (unassigned code points are harmless)."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in "\u202e\u2066"


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=40)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_quote_literal_is_one_string_constant(value: str) -> None:
    statement = pglast.parse_sql(f"SELECT {quote_literal(value)}")[0].stmt
    assert statement.targetList[0].val.val.sval == value  # type: ignore[union-attr]


@given(TEXT.filter(lambda name: 0 < len(name.encode()) <= 63))  # longer names are cut, by pglast as by PostgreSQL
@settings(max_examples=300, deadline=None)
def test_quote_name_is_one_identifier(name: str) -> None:
    target = pglast.parse_sql(f"SELECT 1 AS {quote_name(name)}")[0].stmt.targetList[0]  # type: ignore[union-attr]
    assert target.name == name


@given(TEXT, st.sampled_from(["pgevolve", "p", "x1"]))
@settings(max_examples=300, deadline=None)
def test_dollar_quote_holds_any_body(body: str, tag: str) -> None:
    value = pglast.parse_sql(f"SELECT {dollar_quote(body, tag)}")[0].stmt.targetList[0].val  # type: ignore[union-attr]
    assert isinstance(value, ast.A_Const) and value.val.sval == body


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_comment_text_is_one_printable_line(text: str) -> None:
    line = comment_text(text)
    assert not any(_controls(c) for c in line)
    script = f"-- {line}\nSELECT 1"
    assert len(pglast.parse_sql(script)) == 1


@given(TEXT.filter(lambda name: 0 < len(name.encode()) <= 63))
@settings(max_examples=300, deadline=None)
def test_display_sql_shows_no_control_character_of_a_name(name: str) -> None:
    sql = ddl.create_table(model.Table(name=name, columns=(model.Column(name=name, type="text"),)), SCOPE)
    shown = display_sql(sql)
    assert not any(_controls(c) for c in shown.replace("\n", "").replace("\t", ""))  # a tab draws nothing
    assert shown.count("\n") == sql.count("\n") - name.count("\n") * 2
    assert pglast.parse_sql(shown) == pglast.parse_sql(sql)  # what is shown means what runs


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_display_sql_of_a_literal_means_the_same(value: str) -> None:
    sql = f"SELECT {quote_literal(value)} AS {quote_name(value[:15] or 'x')}"
    shown = display_sql(sql)
    assert "\n" not in shown and pglast.parse_sql(shown) == pglast.parse_sql(sql)


# SQL made of what decides a token's extent: quotes of both kinds doubled or not, line breaks, prefixes,
# and what takes a statement off the unscanned path (backslashes, dollar quotes, comments).
_SQL_PIECES = st.lists(st.sampled_from(["'", '"', "''", '""', "\n", "\t", " ", "a", "E", "U&", ";", "$", "$$",
                                        "\\", "-", "--", "/*", "*/", "\x1b", "(", ",", "'\n'", "x'"]),
                        max_size=30).map("".join)


@given(_SQL_PIECES)
@settings(max_examples=2000, deadline=None)
def test_display_sql_without_scanning_draws_what_the_scanner_would(sql: str) -> None:
    from pgevolve.sqltext.fragments import _display_scanned, _plainly_drawn

    if _plainly_drawn(sql):
        assert _display_scanned(sql) == sql


@pytest.mark.parametrize("sql", ['CREATE TABLE "t" (\n    "a" text DEFAULT \'x\'\'y\'\n)',
                                 "SELECT 'a',\n'b'", 'SELECT "it\'s"\n, 1', 'SELECT "a"\n"b"'])
def test_display_sql_takes_line_breaks_between_tokens_unscanned(sql: str) -> None:
    from pgevolve.sqltext.fragments import _display_scanned, _plainly_drawn

    assert _plainly_drawn(sql) and display_sql(sql) == sql == _display_scanned(sql)


@pytest.mark.parametrize("sql", ["SELECT 'a\nb'", 'SELECT "a\n""b"', "SELECT 'a''\nb'", "SELECT E'\\'\n'",
                                 "SELECT $$a\nb$$", "SELECT 1 /* a\nb */", "SELECT 'a", "SELECT 1 -- a\n",
                                 "SELECT 'a'\n'b'", "SELECT 'a' \n\t 'b'"])
def test_display_sql_scans_what_may_hold_a_line_break(sql: str) -> None:
    from pgevolve.sqltext.fragments import _plainly_drawn

    assert not _plainly_drawn(sql)


_PASSWORD = st.text(st.sampled_from(string.ascii_letters + string.digits + "!#%&()*+,-.:;<>?@[]^_{|}~/$"),
                    min_size=4, max_size=20)


@given(_PASSWORD)
@settings(max_examples=300, deadline=None)
def test_masked_passwords_never_show(secret: str) -> None:
    password = "Zq" + secret
    for dsn in (f"host=h password={password} dbname=d", f"host=h password='{password} W' user=u",
                f"postgresql://u:{password}@h:5432/d", f"host=h password={password} PW"):
        assert password not in mask_password(dsn)
    assert printable(mask_password(f"password={password}")) == "password=***"
