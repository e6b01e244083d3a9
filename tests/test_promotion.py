"""Promotion of a JSON key to a column (promoted_from), against a real PostgreSQL through the CLI."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest

from conftest import cli
from conftest import cli_apply as apply

pytestmark = pytest.mark.usefixtures("private_cache")

LEADS = """\
table: leads
columns:
  id:            { type: integer, primary_key: true }
  full_name:     { type: text }
  custom_fields: { type: custom_fields }
"""
PROMOTED = LEADS + """\
  referral_source: { type: text, promoted_from: custom_fields.referral_source }
indexes:
  - columns: [referral_source]
"""
ROWS = 50_000


def write_schema(root: Path, leads_yaml: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(leads_yaml)
    return schema




def plan(schema: Path, dsn: str, *extra: str) -> tuple[int, str]:
    return cli("plan", "--schema-dir", str(schema), "--database-url", dsn, *extra)


def scalar(dsn: str, sql: str) -> object:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
        return row[0] if row else None



@pytest.fixture
def seeded(db: str, tmp_path: Path) -> tuple[str, Path]:
    """leads applied from the YAML, with ROWS rows; most have custom_fields.referral_source."""
    schema = write_schema(tmp_path, LEADS)
    code, out = apply(schema, db)
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute(
            "INSERT INTO leads (id, full_name, custom_fields) SELECT g, 'Lead ' || g, CASE WHEN g %% 10 = 0 "
            "THEN jsonb_build_object('budget', g) ELSE jsonb_build_object('referral_source', "
            "(ARRAY['web', 'partner', 'radio'])[1 + g %% 3], 'budget', g) END FROM generate_series(1, %s) g",
            (ROWS,))
    return db, schema


def _kinds(schema: Path, dsn: str) -> list[str]:
    code, out = plan(schema, dsn, "--format", "json")
    assert code == 2, out
    data, _ = json.JSONDecoder().raw_decode(out[out.index("{"):])
    return [s["kind"] for s in data["steps"]]


def test_plan_orders_add_column_sync_trigger_backfill_index(seeded: tuple[str, Path], tmp_path: Path) -> None:
    dsn, _ = seeded
    schema = write_schema(tmp_path, PROMOTED)
    assert _kinds(schema, dsn) == ["add_column", "create_sync_function", "comment", "create_sync_trigger",
                                   "backfill", "create_index_concurrently"]
    code, text = plan(schema, dsn)
    assert "[data]" in text and "backfill" in text.lower()


def test_promotion_applies_backfills_syncs_and_converges(seeded: tuple[str, Path], tmp_path: Path) -> None:
    dsn, _ = seeded
    schema = write_schema(tmp_path, PROMOTED)
    code, out = apply(schema, dsn, "--batch-size", "7000", "--batch-time", "0")  # fixed size: a known count
    assert code == 0, out
    differs = "SELECT count(*) FROM leads WHERE referral_source IS DISTINCT FROM custom_fields->>'referral_source'"
    assert scalar(dsn, differs) == 0
    assert scalar(dsn, "SELECT count(*) FROM leads WHERE referral_source IS NOT NULL") == ROWS - ROWS // 10
    assert scalar(dsn, "SELECT batches FROM pgevolve.backfill_progress") == -(-ROWS // 7000)
    assert scalar(dsn, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'leads_referral_source_idx'::regclass")
    # The backfill merged the GIN pending list of custom_fields itself (no application write had to).
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE EXTENSION pgstattuple")
        pending = conn.execute("SELECT pending_pages FROM pgstatginindex('leads_custom_fields_idx')").fetchone()
        conn.execute("DROP EXTENSION pgstattuple")
    assert pending == (0,)
    # New writes through the JSON are synced by the trigger.
    with psycopg.connect(dsn) as conn:
        conn.execute("""INSERT INTO leads (id, custom_fields) VALUES (-1, '{"referral_source": "tv"}')""")
        conn.execute("""UPDATE leads SET custom_fields = '{"referral_source": "print"}' WHERE id = 1""")
    assert scalar(dsn, "SELECT referral_source FROM leads WHERE id = -1") == "tv"
    assert scalar(dsn, "SELECT referral_source FROM leads WHERE id = 1") == "print"
    # In sync: the trigger is pgevolve's, not an unmanaged object; drift is clean.
    code, out = plan(schema, dsn)
    assert code == 0, out
    assert "not managed" not in out
    code, out = cli("drift", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 0, out
    # promoted_from leaves the YAML: the trigger and its function go, the column stays.
    plain = PROMOTED.replace(", promoted_from: custom_fields.referral_source", "")
    write_schema(tmp_path, plain)
    code, out = apply(schema, dsn)
    assert code == 0, out
    assert "drop_sync_trigger" not in out  # summaries, not kinds, are shown
    assert scalar(dsn, "SELECT count(*) FROM pg_trigger WHERE tgname = 'leads_referral_source_promote'") == 0
    assert scalar(dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'leads_referral_source_promote'") == 0
    assert scalar(dsn, "SELECT count(*) FROM leads WHERE referral_source IS NOT NULL") > 0
    code, out = plan(schema, dsn)
    assert code == 0, out


def test_rerun_after_kill_resumes_after_finished_batches(seeded: tuple[str, Path], tmp_path: Path) -> None:
    dsn, _ = seeded
    schema = write_schema(tmp_path, PROMOTED)
    seen: dict[str, int] = {}

    def killer() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                exists = conn.execute("SELECT to_regclass('pgevolve.backfill_progress')").fetchone()
                row = conn.execute("SELECT batches FROM pgevolve.backfill_progress").fetchone() \
                    if exists and exists[0] else None
                if row and row[0] >= 3:
                    seen["batches"] = row[0]
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
                    return
                time.sleep(0.005)

    thread = threading.Thread(target=killer)
    thread.start()
    # Fixed-size batches (--batch-time 0), so that the count of batches proves none was done twice.
    code, out = apply(schema, dsn, "--batch-size", "1000", "--batch-time", "0", "--batch-pause", "0.02")
    thread.join()
    assert code == 1, out
    killed_at = scalar(dsn, "SELECT batches FROM pgevolve.backfill_progress")
    assert isinstance(killed_at, int) and 3 <= killed_at < ROWS // 1000
    assert scalar(dsn, "SELECT done FROM pgevolve.backfill_progress") is False
    # The column and the trigger committed; the plan finishes the backfill and builds the index.
    assert _kinds(schema, dsn) == ["backfill", "create_index_concurrently"]
    code, out = apply(schema, dsn, "--batch-size", "1000", "--batch-time", "0")
    assert code == 0, out
    assert "resuming" in out
    # Finished batches were not redone: batches in all = ceil(rows / 1000) (+1 for the empty last one at most).
    total = scalar(dsn, "SELECT batches FROM pgevolve.backfill_progress")
    assert isinstance(total, int) and total <= ROWS // 1000 + 1
    differs = "SELECT count(*) FROM leads WHERE referral_source IS DISTINCT FROM custom_fields->>'referral_source'"
    assert scalar(dsn, differs) == 0
    code, out = plan(schema, dsn)
    assert code == 0, out


def test_value_that_does_not_cast_is_reported_before_anything_changes(seeded: tuple[str, Path],
                                                                      tmp_path: Path) -> None:
    dsn, _ = seeded
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET custom_fields = custom_fields || '{\"budget\": \"abc\"}' WHERE id = 4242")
    schema = write_schema(tmp_path, LEADS + "  budget: { type: integer, promoted_from: custom_fields.budget }\n")
    code, out = apply(schema, dsn)
    assert code == 3, out
    assert "4242: 'abc'" in out and "1 rows whose custom_fields ->> 'budget' does not convert to integer" in out
    columns = scalar(dsn, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attname = "
                          "'budget'")
    assert columns == 0
    assert scalar(dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'leads_budget_promote'") == 0


def test_backfill_step_survives_a_saved_plan() -> None:
    from pgevolve import model
    from pgevolve.plan.planner import make_plan
    from pgevolve.plan.steps import Plan

    columns = (model.Column(name="id", type="integer", nullable=False), model.Column(name="cf", type="jsonb"))
    table = model.Table(name="leads", columns=columns, primary_key=model.PrimaryKey(name="leads_pkey", columns=("id",)))
    wanted = model.Table(name="leads", columns=(*columns, model.Column(name="n", type="integer")),
                         primary_key=table.primary_key)
    sync = model.SyncTrigger(table="leads", column="n", source_column="cf", key="n", backfilled=True)
    plan = make_plan(model.Database(tables=(table,)), model.Database(tables=(wanted,), sync_triggers=(sync,)))
    assert [s.kind for s in plan.steps] == ["add_column", "create_sync_function", "comment", "create_sync_trigger",
                                            "backfill"]
    assert plan.steps[-1].batch is not None and plan.steps[-1].batch.key_types == ("integer",)
    assert Plan.from_dict(plan.to_dict()) == plan


def test_drop_key_is_destructive_and_removes_the_key_after_the_backfill(seeded: tuple[str, Path],
                                                                         tmp_path: Path) -> None:
    dsn, _ = seeded
    schema = write_schema(tmp_path, PROMOTED.replace("promoted_from: custom_fields.referral_source",
                                                     "promoted_from: custom_fields.referral_source, drop_key: true"))
    assert _kinds(schema, dsn) == ["add_column", "create_sync_function", "comment", "create_sync_trigger",
                                   "backfill", "create_index_concurrently", "drop_key"]
    code, out = apply(schema, dsn)
    assert code == 3 and "--allow-destructive" in out, out
    code, out = apply(schema, dsn, "--allow-destructive", "--batch-size", "9000")
    assert code == 0, out
    assert scalar(dsn, "SELECT count(*) FROM leads WHERE custom_fields ? 'referral_source'") == 0
    assert scalar(dsn, "SELECT count(*) FROM leads WHERE referral_source IS NOT NULL") == ROWS - ROWS // 10
    assert scalar(dsn, "SELECT count(*) FROM leads WHERE custom_fields ? 'budget'") == ROWS  # other keys stay
    code, out = plan(schema, dsn)
    assert code == 0, out


def test_batch_size_follows_the_time_a_batch_takes() -> None:
    from pgevolve.apply.backfill import BatchOptions, _Sizer

    options = BatchOptions(batch_size=10000, target=0.05, min_size=100, first_size=1000)
    sizer = _Sizer(options)
    sizes = [sizer.units()]
    for seconds in (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.2, 5.0, 0.05):
        sizer.observe(seconds)
        sizes.append(sizer.units())
    # Grows by half at most while fast, up to --batch-size; shrinks at once when slow, down to the floor.
    assert sizes == [1000, 1500, 2250, 3375, 5062, 7594, 10000, 10000, 2500, 100, 100]
    fixed = _Sizer(BatchOptions(batch_size=7000, target=0))
    fixed.observe(10.0)
    assert fixed.units() == 7000
    pages = _Sizer(options, unit_rows=40.0)  # a table without a primary key: pages of about 40 rows
    assert pages.units() == 25
