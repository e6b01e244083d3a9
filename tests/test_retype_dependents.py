"""A column that changes type under expressions that use it (issue 10's family).

The goldens (columns/text_to_enum_*, text_to_integer_expression_index_and_predicate, *_read_by_generated_column)
cover the plans that must apply. Here: a YAML that keeps an expression its new type cannot take is itself
broken, and `plan` says so (exit 1, no traceback) and names the statement and line that do not build.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from conftest import cli

pytestmark = pytest.mark.usefixtures("private_cache")

BEFORE = "CREATE TABLE t1 (id integer PRIMARY KEY, f text); CREATE INDEX ON t1 (lower(f)) WHERE f IS NOT NULL"


def _project(root: Path, table_yaml: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\nenums:\n  mood: [calm, glad]\n")
    (schema / "tables" / "t1.yaml").write_text(table_yaml)
    return schema


@pytest.mark.parametrize(("kept", "message", "where"), [
    ('indexes:\n  - { expression: "lower(f)", where: "f IS NOT NULL" }\n', "function lower(mood) does not exist",
     'in CREATE INDEX "t1_lower_idx" ON "public"."t1" USING btree ((lower(f))) WHERE (f IS NOT NULL)'),
    ("checks:\n  - { name: t1_rule, expression: \"f <> ''\" }\n", 'invalid input value for enum mood: ""',
     "in CREATE TABLE \"public\".\"t1\": CONSTRAINT \"t1_rule\" CHECK (f <> '')"),
])
def test_an_expression_the_new_type_cannot_take_is_a_clear_error(db: str, tmp_path: Path, kept: str, message: str,
                                                                  where: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(BEFORE)  # type: ignore[arg-type]
    yaml = "table: t1\ncolumns:\n  id: { type: integer, primary_key: true }\n  f: { type: mood }\n" + kept
    code, out = cli("plan", "--schema-dir", str(_project(tmp_path, yaml)), "--database-url", db)
    assert code == 1, out
    assert f"error: the desired schema does not build on PostgreSQL: {message}\n  {where}" in out, out


def test_a_generated_column_the_new_type_cannot_take_names_its_line(db: str, tmp_path: Path) -> None:
    yaml = ("table: t1\ncolumns:\n  id: { type: integer, primary_key: true }\n  f: { type: mood }\n"
            '  g: { type: text, generated: "lower(f)" }\n')
    code, out = cli("plan", "--schema-dir", str(_project(tmp_path, yaml)), "--database-url", db)
    assert code == 1, out
    assert ('function lower(mood) does not exist\n  in CREATE TABLE "public"."t1": "g" text GENERATED ALWAYS AS '
            "(lower(f)) STORED") in out, out
