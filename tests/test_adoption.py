"""Issue 11's reproductions (tests/cases/adoption/*): what import writes is the committed schema/, and
the whole adoption round trip holds. The golden runner (test_golden.py) checks the same cases' plan
text ("No changes.") and that a database built fresh from the YAML has the same catalog.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from roundtrip import cli, read_tree, round_trip

from conftest import DatabaseFactory

CASES = sorted((Path(__file__).parent / "cases" / "adoption").iterdir())


pytestmark = pytest.mark.usefixtures("private_cache")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_import_writes_the_golden_yaml_and_round_trips(case: Path, databases: DatabaseFactory,
                                                       tmp_path: Path) -> None:
    original = databases.create((case / "before.sql").read_text())
    external = case / "prerequisites.sql"  # what a real target has before pgevolve runs (auth.users)
    imported = round_trip(databases, original, tmp_path, external=external.read_text() if external.exists() else None)
    assert imported == read_tree(case / "schema")


def test_removing_not_valid_plans_the_validation_and_apply_pre_checks_it(databases: DatabaseFactory,
                                                                         tmp_path: Path) -> None:
    """Adopted NOT VALID constraints stay as they are; once the YAML drops not_valid, the VALIDATE is planned,
    and apply refuses (exit 3) with the offending rows until they are fixed."""
    case = Path(__file__).parent / "cases" / "adoption" / "not_valid_constraints"
    dsn = databases.create((case / "before.sql").read_text())
    schema = tmp_path / "schema"
    assert cli("import", "--database-url", dsn, "--out", schema)[0] == 0
    assert cli("plan", "--schema-dir", schema, "--database-url", dsn)[0] == 0
    note = schema / "tables" / "note.yaml"
    note.write_text(note.read_text().replace(", not_valid: true", ""))
    code, output = cli("plan", "--schema-dir", schema, "--database-url", dsn)
    assert code == 2 and output.count("VALIDATE CONSTRAINT") == 2, output
    code, output = cli("apply", "--schema-dir", schema, "--database-url", dsn, "--yes")
    assert code == 3, output
    assert "1 rows where ((body <> ''::text)) is false" in output and "2" in output, output
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM note WHERE id = 2")
    assert cli("apply", "--schema-dir", schema, "--database-url", dsn, "--yes")[0] == 0
    assert cli("plan", "--schema-dir", schema, "--database-url", dsn)[0] == 0


def test_import_says_once_what_it_writes_to_prerequisites(databases: DatabaseFactory, tmp_path: Path) -> None:
    """An object of the owned schema that prerequisites.sql creates is said to be written there, not also
    skipped; what is neither written nor managed is skipped, with why."""
    case = Path(__file__).parent / "cases" / "adoption" / "undeclarable_enums"
    dsn = databases.create((case / "before.sql").read_text())
    code, output = cli("import", "--database-url", dsn, "--out", tmp_path / "schema")
    assert code == 0, output
    lines = [line for line in output.splitlines() if "Answer" in line or "nothing_yet" in line or "blank" in line]
    assert lines == [
        "skipped (not managed by pgevolve): enum type unused_blank (an empty value)",
        'written to prerequisites.sql (created when missing, never changed): type "public"."Answer"',
        'written to prerequisites.sql (created when missing, never changed): type "public"."nothing_yet"',
    ]


def test_a_column_typed_by_another_owned_schemas_enum_round_trips(databases: DatabaseFactory,
                                                                   tmp_path: Path) -> None:
    """import --schema app --schema core: a table of app with a column of core's enum (and of core's composite
    type) is written `type: core.lvl`, which the validator knows (it refused it as an unknown type)."""
    original = databases.create("""
        CREATE SCHEMA app; CREATE SCHEMA core;
        CREATE TYPE core.lvl AS ENUM ('a', 'b');
        CREATE TYPE core.money2 AS (amount numeric, cur char(3));
        CREATE TABLE core.acct (id int PRIMARY KEY, l core.lvl);
        CREATE TABLE app.inv (id int PRIMARY KEY, acct_id int REFERENCES core.acct (id), l core.lvl,
                              total core.money2);
        INSERT INTO core.acct VALUES (1, 'a'); INSERT INTO app.inv VALUES (1, 1, 'b', ROW(2, 'EUR'));
    """)
    imported = round_trip(databases, original, tmp_path, schema="app", others=("core",))
    assert "l:       { type: core.lvl }" in imported["tables/inv.yaml"]
