"""Item 2 of issue 10 through the CLI: an enum change never leaves a CHECK out, even for a moment.

Between every two units of the apply (a transaction, or a statement outside one) another session
tries to insert a row that both the old and the new CHECK refuse: it must fail every time.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from oracles import apply_through_cli
from windows import Watcher

pytestmark = pytest.mark.usefixtures("private_cache")


class Probe:
    """At each unit boundary: insert a row that every version refuses (rolled back if it gets in)."""

    def __init__(self, dsn: str, insert: str) -> None:
        self.dsn, self.insert = dsn, insert
        self.got_in: list[str] = []
        self.boundaries = 0

    def after_unit(self, label: str) -> None:
        self.boundaries += 1
        with psycopg.connect(self.dsn) as conn:
            try:
                conn.execute(self.insert)
                self.got_in.append(label)
            except psycopg.errors.CheckViolation:
                pass
            conn.rollback()


def write(root: Path, enum: str, kinds: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text(f"schema: public\nenums:\n  contact_method: [{enum}]\n")
    (schema / "tables" / "clients.yaml").write_text(
        "table: clients\ncolumns:\n  id: { type: integer, primary_key: true }\n"
        f"  client_type: {{ type: text, enum: [{kinds}] }}\n  preferred: {{ type: contact_method }}\n"
        "indexes:\n  - columns: [id]\n    where: \"preferred = 'email'\"\n    name: clients_by_email\n")
    return schema


BEFORE = """
CREATE TYPE contact_method AS ENUM ('email', 'phone', 'fax');
CREATE TABLE clients (
  id integer PRIMARY KEY,
  client_type text CONSTRAINT clients_client_type_check CHECK (client_type IN ('Individual', 'Business', 'Trust')),
  preferred contact_method
);
CREATE INDEX clients_by_email ON clients (id) WHERE preferred = 'email';
INSERT INTO clients VALUES (1, 'Individual', 'email'), (2, 'Business', 'phone'), (3, NULL, NULL);
"""


def test_adding_an_enum_value_and_a_check_value_keeps_the_check(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute(BEFORE)
    probe = Probe(db, "INSERT INTO clients VALUES (100, 'Garbage', NULL)")
    schema = write(tmp_path, "email, phone, fax, sms", "Individual, Business, Trust, Nonprofit")
    code, out = apply_through_cli(schema, db, probe)
    assert code == 0, out
    assert probe.boundaries >= 1 and probe.got_in == []
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO clients VALUES (4, 'Nonprofit', 'sms')")


def test_removing_an_enum_value_and_a_check_value_keeps_the_check_and_the_index(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db) as conn:
        conn.execute(BEFORE)
    probe = Probe(db, "INSERT INTO clients VALUES (100, 'Garbage', NULL)")
    watcher = Watcher(db, "public")

    class Both:
        def after_unit(self, label: str) -> None:
            probe.after_unit(label)
            watcher.after_unit(label)

    schema = write(tmp_path, "email, phone", "Individual, Business")
    code, out = apply_through_cli(schema, db, Both())
    assert code == 0, out
    assert probe.got_in == []
    assert watcher.windows() == []
    with psycopg.connect(db) as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO clients VALUES (5, 'Trust', NULL)")
        conn.rollback()
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("INSERT INTO clients VALUES (5, NULL, 'fax')")
