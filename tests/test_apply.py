"""apply against a real PostgreSQL: the scenarios a DBA worries about, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from conftest import cli
from conftest import cli_apply as apply

pytestmark = pytest.mark.usefixtures("private_cache")

LEADS_V1 = """\
table: leads
columns:
  id:        { type: integer, primary_key: true }
  email:     { type: text }
  nickname:  { type: text }
  auto_data: { type: jsonb }
"""


def write_schema(root: Path, leads_yaml: str = LEADS_V1) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(leads_yaml)
    return schema




def columns(dsn: str, table: str = "leads") -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum", (table,)).fetchall()
    return [r[0] for r in rows]


def history_outcomes(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT outcome FROM pgevolve.history ORDER BY id")]



@pytest.fixture
def leads_db(db: str, tmp_path: Path) -> tuple[str, Path]:
    """A database where leads (v1) was applied, with a few rows."""
    schema = write_schema(tmp_path)
    code, out = apply(schema, db)
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO leads (id, email, auto_data) SELECT g, 'u' || g || '@x.com', "
                     "jsonb_build_object('vin', 'VIN' || g) FROM generate_series(1, 20) g")
    return db, schema


def test_saved_plan_refused_when_database_changed(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1 + "  score: { type: integer }\n")
    planfile = tmp_path / "plan.json"
    code, _ = cli("plan", "--schema-dir", str(schema), "--database-url", dsn, "--out", str(planfile))
    assert code == 2
    with psycopg.connect(dsn) as conn:
        conn.execute("ALTER TABLE leads ADD COLUMN hand_made text")
    code, out = cli("apply", str(planfile), "--database-url", dsn)
    assert code == 3
    assert "changed since this plan was made" in out and "hand_made" in out
    assert "score" not in columns(dsn)


def test_saved_plan_applies_exactly(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1 + "  score: { type: integer }\n")
    planfile = tmp_path / "plan.json"
    cli("plan", "--schema-dir", str(schema), "--database-url", dsn, "--out", str(planfile))
    code, out = cli("apply", str(planfile), "--database-url", dsn)
    assert code == 0, out
    assert "score" in columns(dsn)


def test_not_null_with_null_rows_is_refused_with_count(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET email = NULL WHERE id <= 3")
    write_schema(tmp_path, LEADS_V1.replace("email:     { type: text }", "email:     { type: text, nullable: false }"))
    code, out = apply(schema, dsn)
    assert code == 3, out
    assert "3 rows where email is NULL" in out
    assert "1, 2, 3" in out.replace(";", ",")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'leads'::regclass"
                            " AND attname = 'email'").fetchone() == (False,)


def test_unique_vin_index_with_duplicates_is_refused(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET auto_data = '{\"vin\": \"SAME\"}' WHERE id IN (4, 5)")
    write_schema(tmp_path, LEADS_V1 + "indexes:\n  - expression: \"auto_data->>'vin'\"\n    unique: true\n")
    code, out = apply(schema, dsn)
    assert code == 3, out
    assert "duplicate keys" in out and "SAME (2 rows)" in out
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'leads'").fetchone() == (1,)


def test_drop_column_needs_allow_destructive(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1.replace("  nickname:  { type: text }\n", ""))
    code, out = apply(schema, dsn)
    assert code == 3 and "--allow-destructive" in out
    assert "nickname" in columns(dsn)
    code, out = apply(schema, dsn, "--allow-destructive")
    assert code == 0, out
    assert "nickname" not in columns(dsn)
    code, out = cli("history", "--database-url", dsn)
    assert code == 0 and "applied" in out
    assert history_outcomes(dsn) == ["applied", "refused", "applied"]  # every stop is recorded


def test_lock_held_by_another_session_fails_cleanly_then_succeeds(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1 + "  score: { type: integer }\n")
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE leads IN ACCESS SHARE MODE")  # like a long report query
        code, out = apply(schema, dsn, "--lock-timeout", "200ms", "--lock-retries", "2")
        assert code == 1, out
        assert "lock not granted" in out
        blocker.rollback()
    assert "score" not in columns(dsn)
    assert history_outcomes(dsn)[-1] == "failed"

    blocker = psycopg.connect(dsn)
    blocker.execute("LOCK TABLE leads IN ACCESS SHARE MODE")
    threading.Timer(0.5, blocker.rollback).start()
    code, out = apply(schema, dsn, "--lock-timeout", "300ms", "--lock-retries", "6")
    blocker.close()
    assert code == 0, out
    assert "score" in columns(dsn)


def _subprocess_apply(schema: Path, dsn: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PGEVOLVE_CACHE_DIR": os.environ["PGEVOLVE_CACHE_DIR"]}
    return subprocess.Popen(
        [sys.executable, "-m", "pgevolve", "apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes",
         "--wait", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def test_two_applies_at_once_serialize(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1 + "  score: { type: integer }\nindexes:\n  - columns: [email]\n")
    first, second = _subprocess_apply(schema, dsn), _subprocess_apply(schema, dsn)
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    codes = [first.returncode, second.returncode]
    for out in outputs:
        assert "Traceback" not in out, out
    assert 0 in codes, outputs
    assert set(codes) <= {0, 1, 3}, outputs
    assert "score" in columns(dsn)
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 0, out


def test_connection_killed_mid_transaction_rolls_back(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS_V1 + "  score: { type: integer }\n  rank: { type: integer }\n")
    killer = psycopg.connect(dsn, autocommit=True)
    blocker = psycopg.connect(dsn)
    blocker.execute("LOCK TABLE leads IN ACCESS SHARE MODE")

    def kill_apply() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            row = killer.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgevolve' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row:
                killer.execute("SELECT pg_terminate_backend(%s)", row)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=kill_apply)
    thread.start()
    code, out = apply(schema, dsn, "--lock-timeout", "10s")
    thread.join()
    blocker.close()
    killer.close()
    assert code == 1, out
    assert "connection" in out.lower()
    assert columns(dsn) == ["id", "email", "nickname", "auto_data"]
    code, out = apply(schema, dsn)
    assert code == 0, out
    assert columns(dsn)[-2:] == ["score", "rank"]


def test_failed_concurrent_index_is_reported_and_repaired(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET email = 'dup@x.com' WHERE id IN (1, 2)")
        # An INVALID index, as a concurrent build interrupted by a crash leaves behind.
        conn.execute("CREATE UNIQUE INDEX leads_email_idx ON leads (email) WHERE id > 2")
        conn.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'leads_email_idx'::regclass")
    write_schema(tmp_path, LEADS_V1 + "indexes:\n  - columns: [email]\n    unique: true\n")
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 2 and "leads_email_idx" in out
    code, out = apply(schema, dsn)
    assert code == 3 and "duplicate keys" in out
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET email = 'other@x.com' WHERE id = 2")
    code, out = apply(schema, dsn)
    assert code == 0, out
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'leads_email_idx'::regclass"
                            ).fetchone() == (True,)
    assert cli("plan", "--schema-dir", str(schema), "--database-url", dsn)[0] == 0
