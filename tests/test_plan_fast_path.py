"""The no-op fast path: a plan of unchanged YAML against a catalog found in sync skips compiling and
normalizing, and any change of the catalog (by hand, or by another apply) is still seen."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgevolve.catalog import read_catalog, read_catalog_rows
from pgevolve.pipeline import plan_against
from pgevolve.server.connect import Target

pytestmark = pytest.mark.usefixtures("private_cache")

TABLE = """\
table: leads
columns:
  id:     { type: integer, primary_key: true }
  email:  { type: text, check: "email <> ''" }
  status: { type: text, default: "'new'" }
indexes:
  - expression: "lower(email)"
    where: "status <> 'lost'"
"""


def _schema(root: Path) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(TABLE)
    return schema


def _apply(db: str, schema: Path) -> None:
    from pgevolve.apply.run import ApplyOptions, execute_plan

    execute_plan(db, plan_against(schema, Target(db, "test")).plan, ApplyOptions(search_path="public"))


@pytest.mark.parametrize("hand_change", [
    "ALTER TABLE leads ALTER COLUMN status SET DEFAULT 'open'",
    "ALTER TABLE leads ADD COLUMN note text",
    "CREATE VIEW lead_emails AS SELECT email FROM leads",  # unmanaged: reported, and the digest sees it
    "COMMENT ON TABLE leads IS 'by hand'",
])
def test_a_hand_change_after_an_empty_plan_is_seen(db: str, tmp_path: Path, hand_change: str) -> None:
    schema = _schema(tmp_path)
    _apply(db, schema)
    first = plan_against(schema, Target(db, "test"))
    assert first.plan.is_empty
    fast = plan_against(schema, Target(db, "test"))
    assert fast.plan.is_empty and fast.known is None  # compiled YAML never needed
    assert fast.actual == first.actual and fast.catalog_objects == first.catalog_objects
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(hand_change)
    after = plan_against(schema, Target(db, "test"))
    assert (not after.plan.is_empty) or after.unmanaged != first.unmanaged or after.actual != first.actual


def test_the_indexes_read_on_a_second_connection_is_the_same_catalog(db: str, tmp_path: Path) -> None:
    _apply(db, _schema(tmp_path))
    with psycopg.connect(db, autocommit=True) as conn:
        alone = read_catalog(conn, "public")
        shared = read_catalog_rows(conn, "public", dsn=db).build()
        in_transaction = conn.transaction()
        with in_transaction:  # inside a caller's transaction there is no second connection: same rows
            joined = read_catalog_rows(conn, "public", dsn=db).build()
    assert alone.database == shared.database == joined.database
    assert alone.digest == shared.digest == joined.digest
