"""Column type changes through `pgevolve apply` on tables that hold rows: the cast pre-check is exact.

It counts the values the plan's ALTER COLUMN ... TYPE would reject (and shows their rows), and none
of the values that convert: a type change on a table with rows applies when every value converts.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from conftest import cli_apply

pytestmark = pytest.mark.usefixtures("private_cache")


def write_schema(root: Path, columns: str, extra: str = "") -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n" + extra)
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
                                              + columns)
    return schema


def rows(dsn: str, sql: str = "SELECT id, n FROM t ORDER BY id") -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def column_type(dsn: str, column: str = "n") -> str:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                             "WHERE attrelid = 't'::regclass AND attname = %s", (column,)).fetchone()
    assert found is not None
    return str(found[0])


def test_integer_to_bigint_applies_on_rows(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n integer);"
                     "INSERT INTO t VALUES (1, 1), (2, NULL), (3, 2147483647), (4, -2147483648)")
    code, out = cli_apply(write_schema(tmp_path, "  n: { type: bigint }\n"), db)
    assert code == 0, out
    assert column_type(db) == "bigint"
    assert rows(db) == [(1, 1), (2, None), (3, 2147483647), (4, -2147483648)]


def test_text_to_integer_refuses_the_values_that_do_not_convert(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n text);"
                     "INSERT INTO t VALUES (1, '12'), (2, NULL), (3, 'x'), (4, ' 7 '), (5, 'seven'), (6, '-0')")
    schema = write_schema(tmp_path, "  n: { type: integer }\n")
    code, out = cli_apply(schema, db)
    assert code == 3, out
    assert "2 values that do not convert from text to integer" in out
    assert "3: 'x'" in out and "5: 'seven'" in out
    assert "1: '12'" not in out and "4: " not in out
    assert column_type(db) == "text"
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE t SET n = NULL WHERE id IN (3, 5)")
    code, out = cli_apply(schema, db)
    assert code == 0, out
    assert rows(db) == [(1, 12), (2, None), (3, None), (4, 7), (5, None), (6, 0)]


def test_varchar_narrowing_counts_only_what_does_not_fit(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n varchar(20));"
                     "INSERT INTO t VALUES (1, 'abc'), (2, 'abcdef'), (3, 'ab    '), (4, 'ünï'), (5, 'ünïcø'),"
                     " (6, NULL)")
    schema = write_schema(tmp_path, "  n: { type: varchar(4) }\n")
    code, out = cli_apply(schema, db)
    assert code == 3 and "--allow-destructive" in out, out
    code, out = cli_apply(schema, db, "--allow-destructive")
    assert code == 3, out
    # 'ab    ' fits: PostgreSQL drops trailing spaces beyond the length; 'ünï' is 3 characters.
    assert "2 values that do not convert from character varying(20) to character varying(4)" in out
    assert "2: 'abcdef'" in out and "5: 'ünïcø'" in out
    assert column_type(db) == "character varying(20)"
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE t SET n = left(n, 4) WHERE id IN (2, 5)")
    code, out = cli_apply(schema, db, "--allow-destructive")
    assert code == 0, out
    assert column_type(db) == "character varying(4)"
    assert rows(db) == [(1, "abc"), (2, "abcd"), (3, "ab  "), (4, "ünï"), (5, "ünïc"), (6, None)]


def test_bigint_to_integer_counts_values_out_of_range(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n bigint);"
                     "INSERT INTO t VALUES (1, 5), (2, 3000000000), (3, -2147483648)")
    code, out = cli_apply(write_schema(tmp_path, "  n: { type: integer }\n"), db, "--allow-destructive")
    assert code == 3, out
    assert "1 values that do not convert from bigint to integer (e.g. 2: '3000000000')" in out


def test_numeric_rounding_applies_when_every_value_fits(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n numeric(10,2));"
                     "INSERT INTO t VALUES (1, 1.25), (2, 99999999.99), (3, NULL)")
    code, out = cli_apply(write_schema(tmp_path, "  n: { type: integer }\n"), db, "--allow-destructive")
    assert code == 0, out
    assert rows(db) == [(1, 1), (2, 100000000), (3, None)]


def test_text_to_a_new_enum_counts_values_outside_it(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n text);"
                     "INSERT INTO t VALUES (1, 'red'), (2, 'blue'), (3, 'mauve'), (4, NULL)")
    enums = "enums:\n  colour:\n    values: [red, green, blue]\n"
    schema = write_schema(tmp_path, "  n: { type: colour }\n", enums)
    code, out = cli_apply(schema, db)
    assert code == 3, out
    assert "1 values that are not a value of the enum colour (e.g. 3: 'mauve')" in out
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE t SET n = 'green' WHERE id = 3")
    code, out = cli_apply(schema, db)
    assert code == 0, out
    assert rows(db, "SELECT id, n::text FROM t ORDER BY id") == [(1, "red"), (2, "blue"), (3, "green"), (4, None)]


def test_removing_an_enum_value_still_in_use_is_refused_before_any_ddl(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TYPE colour AS ENUM ('red', 'green', 'blue');"
                     "CREATE TABLE t (id integer PRIMARY KEY, n colour, m colour[]);"
                     "INSERT INTO t VALUES (1, 'red', '{red}'), (2, 'green', '{blue,green}'), (3, NULL, NULL)")
    schema = write_schema(tmp_path, "  n: { type: colour }\n  m: { type: 'colour[]' }\n",
                          "enums:\n  colour:\n    values: [red, blue]\n")
    code, out = cli_apply(schema, db)
    assert code == 3, out
    assert "t.n TYPE colour (values removed): 1 values that are not a value of the enum colour (e.g. 2: 'green')" \
        in out
    assert "t.m TYPE colour (values removed): 1 values" in out
    with psycopg.connect(db) as conn:
        labels = conn.execute("SELECT array_agg(enumlabel ORDER BY enumsortorder)::text FROM pg_enum "
                              "WHERE enumtypid = 'colour'::regtype").fetchone()
    assert labels == ("{red,green,blue}",)


def test_a_check_and_a_unique_on_a_retyped_column_are_checked_on_the_converted_values(db: str, tmp_path: Path) -> None:
    # 1.5 becomes 2, which CHECK (n >= 2) accepts: no refusal for a value that fits once converted.
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n numeric(10,2));"
                     "INSERT INTO t VALUES (1, 1.5), (2, 7), (3, NULL)")
    schema = write_schema(tmp_path, "  n: { type: integer, check: \"n >= 2\", unique: true }\n")
    code, out = cli_apply(schema, db, "--allow-destructive")
    assert code == 0, out
    assert rows(db) == [(1, 2), (2, 7), (3, None)]


def test_values_that_collide_once_converted_are_refused_before_any_ddl(db: str, tmp_path: Path) -> None:
    # 1.2 and 1.4 both become 1: the UNIQUE would fail half-way; the pre-check counts it first.
    with psycopg.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, n numeric(10,2));"
                     "INSERT INTO t VALUES (1, 1.2), (2, 1.4), (3, 0.4)")
    schema = write_schema(tmp_path, "  n: { type: integer, check: \"n >= 1\", unique: true }\n")
    code, out = cli_apply(schema, db, "--allow-destructive")
    assert code == 3, out
    assert "t UNIQUE t_n_key: 2 duplicate keys (e.g. 1 (2 rows))" in out
    assert "t CHECK t_n_check: 1 rows where ((n >= 1)) is false (e.g. 3)" in out
    assert column_type(db) == "numeric(10,2)"
