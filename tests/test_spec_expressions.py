"""spec.expressions: exactly one SQL expression, and the names PostgreSQL derives from one."""

from __future__ import annotations

import pglast
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgevolve import model
from pgevolve.source.naming import default_index_name
from pgevolve.sqltext import ident
from pgevolve.sqltext.expressions import Expression, ExpressionError, index_key_name, parse_expression


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("now()", ()),
        ("uuid_generate_v4()", ()),
        ("'it''s'", ()),
        ("0", ()),
        ("auto_data->>'vin'", ("auto_data",)),
        ("auto_data ? 'vin'", ("auto_data",)),
        ("score BETWEEN 0 AND 100", ("score",)),
        ("num_nonnulls(a, b) = 1", ("a", "b")),
        ("a > b AND a < 10", ("a", "b")),
        ("(a, b) > (1, 2)", ("a", "b")),
        ("is_primary", ("is_primary",)),
        ("CURRENT_TIMESTAMP", ()),
        ("$$text; with -- things$$", ()),
    ],
)
def test_one_expression(text: str, columns: tuple[str, ...]) -> None:
    assert parse_expression(text) == Expression(text=text, columns=columns, has_subquery=False)


def test_subquery_is_flagged() -> None:
    assert parse_expression("(select 1)").has_subquery
    assert parse_expression("exists (select 1)").has_subquery


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("now()); drop table x; --", "closes a parenthesis it did not open"),
        ("1) --", "closes a parenthesis it did not open"),
        ("1); select (2", "closes a parenthesis it did not open"),
        ("true; drop table t", "must be one SQL expression, not several statements (found ';')"),
        ("now() -- later", "must not contain an SQL comment"),
        ("1 /* x */", "must not contain an SQL comment"),
        ("lower(x", "leaves a parenthesis open"),
        ("a, b", "must be one SQL expression (found ',' outside parentheses)"),
        ("1 union select 2", 'is not a valid SQL expression: syntax error at or near "union"'),
        ("x from t", 'is not a valid SQL expression: syntax error at or near "from"'),
        ("a +", 'is not a valid SQL expression: syntax error at or near ")"'),
        ("'unterminated", 'is not a valid SQL expression: unterminated quoted string at or near "\'unterminated"'),
    ],
)
def test_not_one_expression(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert str(info.value) == message


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"ab1();,'\"-/*$ \n", "select", "drop", "--", "now()"]), max_size=15).map("".join))
def test_anything_accepted_stays_one_expression_wherever_it_is_spliced(text: str) -> None:
    try:
        expression = parse_expression(text)
    except ExpressionError:
        return
    if expression.has_subquery:
        return  # rejected by the semantic checks
    for wrapper in (f"SELECT 1 WHERE ({text})", f"CREATE TABLE t (c int CHECK ({text}))", f"SELECT ({text})"):
        assert len(pglast.parse_sql(wrapper)) == 1, wrapper


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("lower(email)", "lower"),
        ("public.lower(email)", "lower"),
        ("coalesce(a, b)", "coalesce"),
        ("greatest(a, b)", "greatest"),
        ("a + 1", None),
        ("auto_data->>'vin'", None),
        ("(data->>'k')::int", "int4"),
        ("name::text", "name"),
        ('name COLLATE "C"', "name"),
        ("case when a > 1 then 1 end", "case"),
        ("nullif(a, 0)", "nullif"),
        ("current_date", "current_date"),
        ("a", "a"),
    ],
)
def test_index_key_name(text: str, name: str | None) -> None:
    assert index_key_name(text) == name


def test_default_index_names_are_postgresqls(db: str) -> None:
    expressions = ["lower(name)", "coalesce(a, b)", "a + 1", "(j->>'k')::int", "case when a > 1 then 1 end"]
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int, b int, name text, j jsonb)")
        for expression in expressions:
            conn.execute(f"CREATE INDEX ON t (({expression}))")
        conn.execute("CREATE INDEX ON t (a) INCLUDE (name)")
        actual = [row[0] for row in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'i' ORDER BY oid")]
    indexes = [model.Index(name="", keys=(model.IndexKey(expression=e),)) for e in expressions]
    indexes.append(model.Index(name="", keys=(model.IndexKey(column="a"),), include=("name",)))
    expected = [default_index_name("t", index) for index in indexes]
    assert expected == ["t_lower_idx", "t_coalesce_idx", "t_expr_idx", "t_int4_idx", "t_case_idx", "t_a_name_idx"]
    assert actual[-len(expected) :] == expected
    assert ident.index_name("t", [None]) == "t_expr_idx"
