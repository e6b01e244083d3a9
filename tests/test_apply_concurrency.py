"""Concurrent applies and catalog reads: one snapshot, bounded waits, and a plan checked again under the lock.

Through the CLI, as separate processes (``python -m pgevolve``), against a real server.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from pgevolve.catalog import introspect, read_catalog

# The module (the package exports its function under the same name).
introspect_module = importlib.import_module("pgevolve.catalog.introspect")

# A CHECK, as most real tables have: reading it (pg_get_expr) takes ACCESS SHARE on the table.
BASE = """\
table: leads
columns:
  id:    { type: integer, primary_key: true }
  email: { type: text, check: "email <> ''" }
"""


def write_schema(root: Path, extra: str = "") -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(BASE + extra)
    return schema


def run(*args: str, timeout: float = 180) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "pgevolve", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ))
    return done.returncode, done.stdout + done.stderr


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pgevolve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=dict(os.environ))


def columns(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attnum > 0"
                            " AND NOT attisdropped ORDER BY attnum").fetchall()
    return [r[0] for r in rows]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


def _columns_yaml(names: list[str]) -> str:
    return "".join(f"  {n}: {{ type: integer, check: \"{n} >= 0\" }}\n" for n in names)


def _race(db: str, commands: list[list[str]]) -> list[tuple[int, str]]:
    """Start both applies while the test holds their advisory lock, release it once both have planned.

    Each apply records its 'running' history row after planning and before it takes the lock: two
    such rows mean both planned against the same catalog, so the winner's DDL lands between the
    loser's plan and its run.
    """
    key = "SELECT %s(hashtextextended('pgevolve apply public', 0))"
    with psycopg.connect(db, autocommit=True) as holder:
        before = holder.execute("SELECT count(*) FROM pgevolve.history").fetchone()[0]  # type: ignore[index]
        holder.execute(key % "pg_advisory_lock")
        procs = [start(*command) for command in commands]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = holder.execute("SELECT count(*) FROM pgevolve.history WHERE id > %s", (before,)).fetchone()
            if row and row[0] >= 2 or any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
        holder.execute(key % "pg_advisory_unlock")
        return [(p.wait(timeout=300), p.communicate()[0]) for p in procs]


@pytest.mark.long
def test_ten_pairs_of_concurrent_applies_each_loser_refuses_or_plans_again(db: str, tmp_path: Path) -> None:
    """Pairs of applies race for the advisory lock; the winner's DDL lands between the loser's plan and its run.

    Even pairs: two YAML versions (B adds one column more than A). The loser plans again under the
    lock: B then adds its extra column (exit 0, "Planned again"); A would drop it, so A refuses (3).
    Odd pairs: two saved plans of the same YAML: the loser's plan is stale, refused (3), never run.
    """
    schema = write_schema(tmp_path / "v0")
    assert run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")[0] == 0
    wanted: list[str] = []
    for i in range(10):
        if i % 2 == 0:
            a = write_schema(tmp_path / f"a{i}", _columns_yaml([*wanted, f"c{i}"]))
            b = write_schema(tmp_path / f"b{i}", _columns_yaml([*wanted, f"c{i}", f"d{i}"]))
            results = _race(db, [["apply", "--schema-dir", str(s), "--database-url", db, "--yes"] for s in (a, b)])
        else:
            schema = write_schema(tmp_path / f"s{i}", _columns_yaml([*wanted, f"c{i}"]))
            files = [tmp_path / f"plan{i}{side}.json" for side in "ab"]
            for file in files:
                assert run("plan", "--schema-dir", str(schema), "--database-url", db, "--out", str(file))[0] == 2
            results = _race(db, [["apply", str(file), "--database-url", db] for file in files])
        outputs = [out for _, out in results]
        for _, out in results:
            assert "Traceback" not in out, out
            assert "already exists" not in out, out
        losers = [(code, out) for code, out in results if "changed since this plan was made" in out]
        assert len(losers) == 1, outputs  # the winner ran its plan as made; the loser found the catalog changed
        (code, out), = losers
        if i % 2 == 1:
            assert code == 3 and "plan again" in out, out  # a saved plan is exact: refused, never run
        elif code == 0:
            assert "Planned again" in out and "Applied" in out, out  # B: its extra column on top of A's
        else:
            assert code == 3 and "loses data" in out, out  # A: planning again would drop B's column
        winners = [c for c, out in results if (c, out) not in losers]
        assert winners == [0], outputs
        wanted = [c for c in columns(db) if c not in ("id", "email")]
        assert f"c{i}" in wanted, outputs
    with psycopg.connect(db) as conn:
        rows = dict(conn.execute("SELECT outcome, count(*) FROM pgevolve.history GROUP BY 1").fetchall())
    assert rows.keys() <= {"applied", "refused"}, rows
    assert rows["refused"] >= 5, rows


def test_catalog_read_is_one_snapshot(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A column (with a UNIQUE and a CHECK on it) added by another session between two catalog queries."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE leads (id integer PRIMARY KEY, email text)")
    other = psycopg.connect(db, autocommit=True)
    run_query = introspect_module.run_raw_query

    def between(conn: psycopg.Connection, name: str, schema: str, stats: object) -> object:
        rows = run_query(conn, name, schema, stats)  # type: ignore[arg-type]
        if name == "columns":
            other.execute("ALTER TABLE leads ADD COLUMN priority integer UNIQUE CHECK (priority > 0)")
        return rows

    monkeypatch.setattr(introspect_module, "run_raw_query", between)
    with psycopg.connect(db, autocommit=True) as conn:
        catalog = read_catalog(conn, "public")
    other.close()
    leads = catalog.database.table("leads")
    assert leads is not None
    assert leads.column_names == ("id", "email")  # the snapshot taken before the DDL
    assert leads.uniques == () and leads.checks == ()
    monkeypatch.undo()
    with psycopg.connect(db, autocommit=True) as conn:
        again = introspect(conn, "public").table("leads")
    assert again is not None and again.column_names == ("id", "email", "priority")


@pytest.mark.long
def test_plans_under_concurrent_ddl_never_trace_back(db: str, tmp_path: Path) -> None:
    """Another session adds and drops a constrained column in a loop while plans read the catalog."""
    schema = write_schema(tmp_path)
    assert run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")[0] == 0
    stop = threading.Event()

    def hammer() -> None:
        with psycopg.connect(db, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("ALTER TABLE leads ADD COLUMN hammer integer UNIQUE CHECK (hammer > 0) "
                             "REFERENCES leads (id)")
                conn.execute("ALTER TABLE leads DROP COLUMN hammer")

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        outputs = [(p, p.communicate(timeout=300)[0]) for p in
                   [start("plan", "--schema-dir", str(schema), "--database-url", db) for _ in range(10)]]
    finally:
        stop.set()
        thread.join()
    for proc, out in outputs:
        assert "Traceback" not in out and "KeyError" not in out, out
        assert proc.returncode in (0, 2) or "changed while it was read" in out, out


@pytest.mark.long
def test_plan_behind_an_access_exclusive_lock_returns_in_time_and_names_the_holder(db: str, tmp_path: Path) -> None:
    schema = write_schema(tmp_path)
    assert run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")[0] == 0
    write_schema(tmp_path, "  score: { type: integer }\n")
    with psycopg.connect(db, application_name="nightly-report") as holder:
        holder.execute("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        code, out = run("plan", "--schema-dir", str(schema), "--database-url", db, timeout=60)
        elapsed = time.monotonic() - started
        pid = holder.info.backend_pid
    assert code == 1, out
    # The holder never lets go while the plan runs: returning at all is returning in time, and the message
    # says the wait was the 5s lock_timeout. The bound is the run's own timeout, not a speed (the suite
    # shares 2 cores: a full run under another suite's load took 35 s here).
    assert elapsed < 55, elapsed
    assert "Traceback" not in out
    assert "waited more than 5s for a lock" in out, out
    assert f"pid {pid}" in out and "nightly-report" in out and "AccessExclusiveLock on leads" in out, out


@pytest.mark.long
def test_apply_behind_an_access_exclusive_lock_names_the_holder(db: str, tmp_path: Path) -> None:
    """Apply's own catalog read, under its advisory lock, is bounded by --lock-timeout."""
    schema = write_schema(tmp_path)
    assert run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")[0] == 0
    write_schema(tmp_path, "  score: { type: integer }\n")
    with psycopg.connect(db, application_name="hand-migration") as holder:
        holder.execute("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        code, out = run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes",
                        "--lock-timeout", "300ms", timeout=60)
    assert code == 1, out
    assert "hand-migration" in out and "AccessExclusiveLock on leads" in out, out
    assert columns(db) == ["id", "email"]
