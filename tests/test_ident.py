"""Default names must be the ones PostgreSQL itself chooses, long names included."""

from __future__ import annotations

import psycopg
import pytest

from pgevolve.sqltext import ident

LONG_TABLE = "a_really_long_table_name_for_insurance_policy_endorsements_xx"  # 61 bytes
LONG_COLUMN = "the_column_with_an_equally_long_descriptive_name_for_tests"


def test_quote_ident_always_quotes_and_doubles_quotes() -> None:
    assert [ident.quote_ident(n) for n in ("leads", "Order", 'we"ird')] == ['"leads"', '"Order"', '"we""ird"']


def test_qualify_and_literal() -> None:
    assert ident.qualify("public", "leads") == '"public"."leads"'
    assert ident.quote_literal("it's") == "'it''s'"


def test_too_long_counts_bytes_not_characters() -> None:
    assert not ident.too_long("x" * 63)
    assert ident.too_long("é" * 32)  # 64 bytes


@pytest.mark.parametrize(
    ("table", "column"),
    [("leads", "status_id"), (LONG_TABLE, "id"), ("t", LONG_COLUMN), (LONG_TABLE, LONG_COLUMN), ("é" * 20, "ü" * 20)],
)
def test_default_names_match_postgresql(db: str, table: str, column: str) -> None:
    q_table, q_col = ident.quote_ident(table), ident.quote_ident(column)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {q_table} ({q_col} integer PRIMARY KEY CHECK ({q_col} > 0), other integer UNIQUE,"
            f" ref integer REFERENCES {q_table} ({q_col}))"
        )
        conn.execute(f"CREATE INDEX ON {q_table} ({q_col}, other)")
        conn.execute(f"CREATE INDEX ON {q_table} (({q_col} + 1))")
        # contype 'n': PostgreSQL 18 names NOT NULL constraints too; the model keeps nullability on the column.
        names = {row[0] for row in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 'n'", (q_table,))}
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,))}
    assert names == {
        ident.primary_key_name(table),
        ident.check_name(table, column),
        ident.unique_name(table, ["other"]),
        ident.foreign_key_name(table, ["ref"]),
    }
    assert {ident.index_name(table, [column, "other"]), ident.index_name(table, [None])} <= indexes
