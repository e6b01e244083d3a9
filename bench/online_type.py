"""integer -> bigint on an identity primary key with a referencing table, online and in place, side by side.

    python bench/online_type.py [--rows 1000000] [--writers 2] [--notes-every 5]

Builds `events` (id integer identity primary key, account_id integer, payload) with N rows and
`event_notes` (event_id integer references events) with one note per --notes-every events, then
copies the database. On each copy, writer threads run (one inserts an event and a note for it, the
others update random events' account_id) while `pgevolve apply` makes `events.id`,
`events.account_id` and `event_notes.event_id` bigint: online on the first copy (online_from_rows: 0, so that a
small --rows goes online too), in place on the second (online_from_rows set above the table's size: one ALTER
COLUMN ... TYPE per column, the rewrite under an ACCESS EXCLUSIVE lock). For each it prints how
long apply took, rows per second (online: the backfills' rows over their span; in place: the rows
rewritten over the apply), and the longest, 99th-percentile and median time of any single write
during the apply; then checks that the three columns are bigint, that no row was lost (every
event and note the writers inserted is there, every update holds the last value written), that
the foreign key is valid, and that a new plan is empty.

Writers name their columns (an INSERT without a column list would fill the old column between the
swap and its drop, milliseconds apart) and do not prepare statements (a prepared statement whose
result type changes fails once after any type change, in place or online).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from pgevolve.server import embedded
from pgevolve.server.connect import with_dbname

BEFORE = {
    "events": """table: events
columns:
  id:         { type: integer, identity: by default, primary_key: true }
  account_id: { type: integer, nullable: false }
  payload:    { type: text }
indexes:
  - columns: [account_id]
""",
    "event_notes": """table: event_notes
columns:
  id:       { type: bigint, identity: by default, primary_key: true }
  event_id: { type: integer, nullable: false, references: events.id }
  body:     { type: text }
indexes:
  - columns: [event_id]
""",
}
VERBOSE = "--verbose" in sys.argv
AFTER = {name: text.replace("type: integer", "type: bigint") for name, text in BEFORE.items()}


def write_schema(root: Path, tables: dict[str, str], project: str = "schema: public\n") -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text(project)
    for name, text in tables.items():
        (schema / "tables" / f"{name}.yaml").write_text(text)
    return schema


def pgevolve(command: str, schema: Path, dsn: str, env: dict[str, str]) -> tuple[int, str, float]:
    started = time.perf_counter()
    extra = ["--yes"] if command == "apply" else []
    result = subprocess.run([sys.executable, "-m", "pgevolve", command, "--schema-dir", str(schema),
                             "--database-url", dsn, *extra], capture_output=True, text=True, env=env, check=False)
    return result.returncode, result.stdout + result.stderr, time.perf_counter() - started


@dataclass(eq=False)
class Writer(threading.Thread):
    """Times every statement; inserts an event and its note, or updates a random event's account_id."""

    dsn: str
    stop: threading.Event
    rows: int
    inserts: bool
    lane: tuple[int, int] = (0, 1)  # (this updater, updaters): each updates its own rows, so the last value is known
    waits: list[float] = field(default_factory=list)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds, wall clock, statement)
    inserted: dict[int, int] = field(default_factory=dict)  # event id -> account_id
    updated: dict[int, int] = field(default_factory=dict)  # event id -> last account_id written
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)

    def run(self) -> None:
        name = "bench inserts" if self.inserts else "bench updates"
        with psycopg.connect(self.dsn, autocommit=True, application_name=name, prepare_threshold=None) as conn:
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    self._write(conn, n)
                except psycopg.Error as exc:
                    self.errors.append(str(exc).splitlines()[0])

    def _timed(self, started: float, what: str) -> None:
        took = time.perf_counter() - started
        self.waits.append(took)
        if took > 0.05:
            self.slowest.append((took, time.time() - took, what))

    def _write(self, conn: psycopg.Connection, n: int) -> None:
        started = time.perf_counter()
        if self.inserts:
            row = conn.execute("INSERT INTO events (account_id, payload) VALUES (%s, 'writer') RETURNING id",
                               (n % 1000,)).fetchone()
            self._timed(started, "insert event")
            assert row is not None
            self.inserted[int(row[0])] = n % 1000
            started = time.perf_counter()
            conn.execute("INSERT INTO event_notes (event_id, body) VALUES (%s, 'writer')", (row[0],))
            self._timed(started, "insert note")
        else:
            index, lanes = self.lane
            target, value = random.randrange(1 + index, self.rows + 1, lanes), 1_000_000 + n
            conn.execute("UPDATE events SET account_id = %s WHERE id = %s", (value, target))
            self.updated[target] = value
            self._timed(started, "update event")


def load(dsn: str, rows: int, notes_every: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO events (account_id, payload) SELECT g %% 5000, md5(g::text) "
                     "FROM generate_series(1, %s) g", (rows,))
        conn.execute("INSERT INTO event_notes (event_id, body) SELECT g, 'note' FROM generate_series(1, %s, %s) g",
                     (rows, notes_every))
        conn.execute("VACUUM ANALYZE events")
        conn.execute("VACUUM ANALYZE event_notes")


@dataclass(frozen=True)
class Outcome:
    label: str
    seconds: float
    rows_per_second: float
    writes: int
    longest: float
    p99: float
    median: float
    errors: list[str]
    checks: list[str]
    slowest: list[tuple[float, float, str]]


def run_side(label: str, dsn: str, schema: Path, env: dict[str, str], rows: int, writers: int) -> Outcome:
    stop = threading.Event()
    updaters = max(writers - 1, 1)
    threads = [Writer(dsn, stop, rows, inserts=i == 0, lane=(max(i - 1, 0), updaters)) for i in range(writers)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    code, out, seconds = pgevolve("apply", schema, dsn, env)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    if code != 0:
        raise SystemExit(f"{label}: apply failed ({code}):\n{out}")
    waits = sorted(w for t in threads for w in t.waits)
    per_second = _backfill_rate(dsn) or rows / seconds  # in place: the rows of events rewritten per second of apply
    checks = _checks(dsn, schema, env, threads, rows)
    return Outcome(label, seconds, per_second, len(waits), waits[-1], waits[int(len(waits) * 0.99)],
                   statistics.median(waits), [e for t in threads for e in t.errors], checks,
                   sorted((s for t in threads for s in t.slowest), reverse=True)[:3])


def _backfill_rate(dsn: str) -> float | None:
    """Rows backfilled per second over the backfills' span (None: no backfill, the in-place run)."""
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regclass('pgevolve.backfill_progress')").fetchone() == (None,):
            return None
        row = conn.execute("SELECT sum(rows_done), extract(epoch FROM max(updated_at) - min(started_at)) "
                           "FROM pgevolve.backfill_progress WHERE target LIKE 'retype %'").fetchone()
    if row is None or row[0] is None:
        return None
    return float(row[0]) / max(float(row[1]), 0.001)


def _checks(dsn: str, schema: Path, env: dict[str, str], writers: list[Writer], rows: int) -> list[str]:
    failures = []
    with psycopg.connect(dsn) as conn:
        types = dict(conn.execute(
            "SELECT attrelid::regclass::text || '.' || attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid IN ('events'::regclass, 'event_notes'::regclass) AND attname IN ('id', 'account_id', "
            "'event_id') AND NOT attisdropped").fetchall())
        for column in ("events.id", "events.account_id", "event_notes.event_id"):
            if types.get(column) != "bigint":
                failures.append(f"{column} is {types.get(column)}")
        found = dict(conn.execute("SELECT id, account_id FROM events").fetchall())
        inserted = {k: v for w in writers for k, v in w.inserted.items()}
        updated = {k: v for w in writers for k, v in w.updated.items()}
        if len(found) != rows + len(inserted):
            failures.append(f"events: {len(found):,} rows, expected {rows + len(inserted):,}")
        lost = [i for i, v in {**inserted, **updated}.items() if found.get(i) != v]
        if lost:
            failures.append(f"{len(lost)} written values not found (e.g. event {lost[0]})")
        notes = conn.execute("SELECT count(*) FROM event_notes WHERE body = 'writer'").fetchone()
        if notes is None or notes[0] != len(inserted):
            failures.append(f"writer notes: {notes}, expected {len(inserted)}")
        valid = conn.execute("SELECT bool_and(convalidated) FROM pg_constraint WHERE contype = 'f' "
                             "AND conrelid = 'event_notes'::regclass").fetchone()
        if valid != (True,):
            failures.append("the foreign key is not valid")
    code, out, _ = pgevolve("plan", schema, dsn, env)
    if code != 0:
        failures.append(f"re-plan not empty (exit {code}):\n{out[:2000]}")
    return failures


def report(outcome: Outcome) -> None:
    print(f"{outcome.label}: apply {outcome.seconds:.2f} s, {outcome.rows_per_second:,.0f} rows/s; "
          f"{outcome.writes:,} writes: longest wait {outcome.longest * 1000:.1f} ms, p99 {outcome.p99 * 1000:.2f} ms, "
          f"median {outcome.median * 1000:.2f} ms")
    if outcome.errors:
        print(f"  writer errors: {len(outcome.errors)} (e.g. {outcome.errors[0]})")
    for took, at, what in outcome.slowest if VERBOSE else ():
        print(f"  slow write: {what} at {time.strftime('%H:%M:%S', time.localtime(at))}.{int(at * 1000) % 1000:03d} "
              f"took {took * 1000:.1f} ms")
    print("  checks: " + ("columns bigint, no row lost, foreign key valid, re-plan empty" if not outcome.checks
                          else "FAILED: " + "; ".join(outcome.checks)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--notes-every", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="the slowest writes, and the server's log of slow "
                        "statements and lock waits")
    args = parser.parse_args()
    server = embedded.start_throwaway()
    try:
        admin = server.dsn("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_online")
            if args.verbose:
                for setting in ("log_lock_waits = on", "deadlock_timeout = '50ms'",
                                "log_min_duration_statement = 50", "log_line_prefix = '%m [%p] %a: '"):
                    conn.execute(f"ALTER SYSTEM SET {setting}")  # type: ignore[arg-type]
                conn.execute("SELECT pg_reload_conf()")
        online = with_dbname(admin, "bench_online")
        with tempfile.TemporaryDirectory(prefix="pgevolve-bench-") as work:
            env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(Path(work) / "cache")}
            code, out, _ = pgevolve("apply", write_schema(Path(work) / "before", BEFORE), online, env)
            if code != 0:
                raise SystemExit(out)
            load(online, args.rows, args.notes_every)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench_in_place TEMPLATE bench_online")
            in_place = with_dbname(admin, "bench_in_place")
            print(f"rows: {args.rows:,} events, {args.rows // args.notes_every:,} notes; writers: {args.writers} "
                  "(1 inserting an event and its note, the others updating random events)")
            results = [
                run_side("online  ", online, write_schema(Path(work) / "online", AFTER,
                                                          "schema: public\nonline_from_rows: 0\n"),
                         env, args.rows, args.writers),
                run_side("in place", in_place, write_schema(Path(work) / "in_place", AFTER,
                                                            "schema: public\nonline_from_rows: 1000000000000\n"),
                         env, args.rows, args.writers),
            ]
        for outcome in results:
            report(outcome)
        if args.verbose:
            log = server.data_dir / "server.log"
            for line in log.read_text(errors="replace").splitlines():
                if "duration:" in line or "waiting" in line or "acquired" in line:
                    print("  log:", line[:260])
    finally:
        server.stop(remove=True)


if __name__ == "__main__":
    main()
