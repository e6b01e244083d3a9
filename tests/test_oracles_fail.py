"""Oracles 3 and 4 can fail: each reports the loss or the window it exists to catch.

Hand-made migrations that are wrong on purpose, between the same two schemas the oracles compare.
"""

from __future__ import annotations

import psycopg
import pytest

from conftest import DatabaseFactory
from pgevolve.model import Hints
from pgevolve.pipeline import read_database
from rows import Mapping, assert_rows_kept, fill
from windows import Watcher

SCHEMA = """
CREATE TABLE parent (id integer PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE child (
  id integer PRIMARY KEY,
  parent_id integer CONSTRAINT child_parent_fk REFERENCES parent (id),
  qty integer CONSTRAINT child_qty_check CHECK (qty >= 0),
  note text NOT NULL DEFAULT ''
);
CREATE INDEX child_note_idx ON child (lower(note));
"""


def _run_units(dsn: str, units: list[str]) -> list[str]:
    """Each statement as a unit of its own, the catalog read after each; the windows found."""
    watcher = Watcher(dsn, "public")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for number, statement in enumerate(units, 1):
            conn.execute(statement)  # type: ignore[arg-type]
            watcher.after_unit(f"after unit {number}")
    return watcher.windows()


@pytest.mark.parametrize(("units", "missing"), [
    (["ALTER TABLE child DROP CONSTRAINT child_qty_check",
      "ALTER TABLE child ADD CONSTRAINT child_qty_check CHECK (qty >= 0)"], "CHECK child_qty_check on child"),
    (["ALTER TABLE child DROP CONSTRAINT child_parent_fk",
      "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)"],
     "FOREIGN KEY child_parent_fk on child"),
    (["DROP INDEX child_note_idx", "CREATE INDEX child_note_idx ON child (lower(note))"],
     "index child_note_idx on child"),
    (["ALTER TABLE parent DROP CONSTRAINT parent_code_key CASCADE",
      "ALTER TABLE parent ADD CONSTRAINT parent_code_key UNIQUE (code)"], "index parent_code_key on parent"),
    (["ALTER TABLE child ALTER COLUMN note DROP NOT NULL", "ALTER TABLE child ALTER COLUMN note SET NOT NULL"],
     "NOT NULL child.note"),
])
def test_a_guarantee_dropped_and_added_back_in_a_later_unit_is_a_window(db: str, units: list[str],
                                                                       missing: str) -> None:
    with psycopg.connect(db) as conn:
        conn.execute(SCHEMA)  # type: ignore[arg-type]
    assert _run_units(db, units) == [f"after unit 1: {missing} is missing"]


def test_the_same_changes_in_one_transaction_leave_no_window(db: str) -> None:
    with psycopg.connect(db) as conn:
        conn.execute(SCHEMA)  # type: ignore[arg-type]
    assert _run_units(db, ["BEGIN; ALTER TABLE child DROP CONSTRAINT child_qty_check; "
                           "ALTER TABLE child ADD CONSTRAINT child_qty_check CHECK (qty >= 0) NOT VALID; COMMIT",
                           "ALTER TABLE child VALIDATE CONSTRAINT child_qty_check"]) == []


@pytest.mark.parametrize("damage", [
    "DELETE FROM child WHERE id = (SELECT max(id) FROM child)",
    "UPDATE child SET note = note || '!' WHERE id = (SELECT min(id) FROM child)",
    "UPDATE parent SET code = upper(code) || 'x' WHERE id = (SELECT min(id) FROM parent)",
])
def test_a_lost_row_or_a_changed_value_fails_oracle_3(databases: DatabaseFactory, damage: str) -> None:
    old, new = databases.create(SCHEMA), databases.create(SCHEMA)
    schema = read_database(old, "public")[0]
    filled = fill(old, new, Mapping(old=schema, new=schema, hints=Hints()), {}, seed="oracle 3")
    assert filled.per_table["child"] >= 3 and filled.per_table["parent"] >= 3
    assert_rows_kept(filled, old, "public")  # untouched: nothing lost
    with psycopg.connect(old) as conn:
        conn.execute(damage)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="rows or values lost"):
        assert_rows_kept(filled, old, "public")
