"""Promotion backfill on a big table: rows per second, and how long concurrent writers wait.

    python bench/promote.py [--rows 1000000] [--writers 2] [--batch-size 10000] [--gin-fastupdate off]

Fills `leads` with N rows whose `custom_fields` hold a `referral_source`, starts
writer threads (one updates random existing rows, the others insert rows through
the JSON, which the sync trigger copies), and runs `pgevolve apply` for a YAML
that promotes `custom_fields.referral_source` to an indexed column. Prints the
backfill's duration and rows per second (from pgevolve.backfill_progress) and
the longest, 99th-percentile and median wait of any single write during the
backfill, and checks that every row's column equals its JSON value.

A writer that updates a row of the batch being backfilled waits for that batch
to commit, so the longest wait follows the batch's duration. `custom_fields`
has a GIN index whose pending list (fastupdate) is merged by whichever statement
overflows it: before the backfill merged it itself, that stretched every other
10,000-row batch to 0.7-1.1 s and some one-row INSERTs to 1-3 s (seen with
--diagnose, which logs lock waits, statements over 100 ms, checkpoints and
autovacuum). `--gin-fastupdate off` shows the difference.

Figures on the shared 2-core box (other work running; expect ±25%):

before (fixed 10,000-row batches, no pause, GIN merged by whoever overflowed it):
    backfill: 1,016,003 rows in 113 batches, 29.98 s, 33,894 rows/s
    writes during the backfill: 145,017; longest wait 583.4 ms; p99 3.72 ms; median 0.17 ms
  (earlier measurement: 46,343 rows/s, longest wait 613 ms)

now, at the defaults (--batch-time 75 ms, --batch-size 10000 as the ceiling, --batch-pause 0.01):
    backfill: 1,015,125 rows in 211 batches, 37.90 s, 26,782 rows/s
    writes during the backfill: 193,666; longest wait 80.1 ms; p99 3.90 ms; median 0.22 ms
    longest wait of any write during the whole apply: 80.1 ms
  another run: 22,288 rows/s, longest wait 64.1 ms; with --batch-time 50: 18,310 rows/s, 86.4 ms

--batch-time 0 --batch-pause 0 (fixed 10,000-row batches, GIN merged by the backfill; test suite running):
    backfill: 1,008,426 rows in 111 batches, 30.93 s, 32,600 rows/s
    writes during the backfill: 160,868; longest wait 107.2 ms; p99 3.81 ms; median 0.20 ms
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
from pathlib import Path

import psycopg

from pgevolve.server import embedded
from pgevolve.server.connect import with_dbname

BEFORE = """
table: leads
columns:
  id:            { type: bigint, identity: by default, primary_key: true }
  full_name:     { type: text, nullable: false }
  custom_fields: { type: custom_fields }
"""
AFTER = BEFORE + """\
  referral_source: { type: text, promoted_from: custom_fields.referral_source }
indexes:
  - columns: [referral_source]
"""


DIAGNOSE = ("log_lock_waits = on", "deadlock_timeout = '100ms'", "log_min_duration_statement = 100",
            "log_checkpoints = on", "log_autovacuum_min_duration = 0",
            "log_line_prefix = '%m [%p] %a: '")


def print_log(path: Path) -> None:
    """The server log's lines about waits, slow statements, checkpoints and autovacuum (--diagnose)."""
    interesting = ("still waiting", "acquired", "duration:", "checkpoint", "automatic vacuum", "automatic analyze")
    for line in path.read_text(errors="replace").splitlines():
        if any(word in line for word in interesting):
            print("  log:", line[:300])


def write_schema(root: Path, leads: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(leads)
    return schema


def apply(schema: Path, dsn: str, env: dict[str, str], *extra: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pgevolve", "apply", "--schema-dir", str(schema),
                             "--database-url", dsn, "--yes", *extra],
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return time.perf_counter() - started


class Writer(threading.Thread):
    """Times every write; ``updates``: rewrite random existing rows (they contend with the backfill's row locks)."""

    def __init__(self, dsn: str, stop: threading.Event, rows: int, *, updates: bool) -> None:
        super().__init__(daemon=True)
        self.dsn, self.stop, self.rows, self.updates = dsn, stop, rows, updates
        self.waits: list[tuple[float, float]] = []  # (wall clock at start, seconds)

    def run(self) -> None:
        name = "bench updates" if self.updates else "bench inserts"
        with psycopg.connect(self.dsn, autocommit=True, application_name=name) as conn:
            while not self.stop.is_set():
                at, started = time.time(), time.perf_counter()
                if self.updates:
                    conn.execute("UPDATE leads SET full_name = 'updated' WHERE id = %s",
                                 (random.randint(1, self.rows),))
                else:
                    conn.execute("INSERT INTO leads (full_name, custom_fields) VALUES "
                                 "('w', '{\"referral_source\": \"writer\"}')")
                self.waits.append((at, time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="passed to apply (default: apply's default)")
    parser.add_argument("--batch-time", type=int, default=None, help="passed to apply (default: apply's default)")
    parser.add_argument("--batch-pause", type=float, default=None, help="passed to apply (default: apply's default)")
    parser.add_argument("--gin-fastupdate", choices=("on", "off"), default="on")
    parser.add_argument("--diagnose", action="store_true",
                        help="log lock waits, statements over 100 ms, checkpoints and autovacuum; print them")
    args = parser.parse_args()
    server = embedded.start_throwaway()
    try:
        admin = server.dsn("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_promote")
            if args.diagnose:
                for setting in DIAGNOSE:
                    conn.execute(f"ALTER SYSTEM SET {setting}")  # type: ignore[arg-type]
                conn.execute("SELECT pg_reload_conf()")
        dsn = with_dbname(admin, "bench_promote")
        with tempfile.TemporaryDirectory(prefix="pgevolve-bench-") as work:
            env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(Path(work) / "cache")}
            apply(write_schema(Path(work) / "a", BEFORE), dsn, env)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO leads (full_name, custom_fields) SELECT 'n' || g, jsonb_build_object("
                    "'referral_source', (ARRAY['web', 'partner', 'radio', 'tv'])[1 + g %% 4], 'budget', g, "
                    "'notes', md5(g::text)) FROM generate_series(1, %s) g", (args.rows,))
                conn.execute("VACUUM ANALYZE leads")
                conn.execute(f"ALTER INDEX leads_custom_fields_idx SET (fastupdate = {args.gin_fastupdate})")
            stop = threading.Event()
            writers = [Writer(dsn, stop, args.rows, updates=i == 0) for i in range(args.writers)]
            for writer in writers:
                writer.start()
            time.sleep(1.0)
            extra = [*(("--batch-size", str(args.batch_size)) if args.batch_size else ()),
                     *(("--batch-time", str(args.batch_time)) if args.batch_time is not None else ()),
                     *(("--batch-pause", str(args.batch_pause)) if args.batch_pause is not None else ())]
            seconds = apply(write_schema(Path(work) / "b", AFTER), dsn, env, *extra)
            time.sleep(0.5)
            stop.set()
            for writer in writers:
                writer.join()
            with psycopg.connect(dsn) as conn:
                started, ended, rows, batches = conn.execute(
                    "SELECT extract(epoch FROM started_at), extract(epoch FROM updated_at), rows_done, batches "
                    "FROM pgevolve.backfill_progress").fetchone()  # type: ignore[misc]
                differs = conn.execute("SELECT count(*) FROM leads WHERE referral_source IS DISTINCT FROM "
                                       "custom_fields->>'referral_source'").fetchone()[0]  # type: ignore[index]
        backfill = float(ended) - float(started)
        during = sorted(w for writer in writers for at, w in writer.waits if float(started) <= at <= float(ended))
        everything = sorted(w for writer in writers for _, w in writer.waits)
        print(f"rows: {args.rows:,}; writers: {args.writers} (1 updating random rows); apply options "
              f"{' '.join(extra) or '(defaults)'}; GIN fastupdate {args.gin_fastupdate}; apply took {seconds:.2f} s")
        print(f"backfill: {rows:,} rows in {batches} batches, {backfill:.2f} s, {rows / backfill:,.0f} rows/s")
        if during:
            p99, median = during[int(len(during) * 0.99)], statistics.median(during)
            print(f"writes during the backfill: {len(during):,}; longest wait {during[-1] * 1000:.1f} ms; "
                  f"p99 {p99 * 1000:.2f} ms; median {median * 1000:.2f} ms")
        for writer in writers:
            mine = sorted(w for at, w in writer.waits if float(started) <= at <= float(ended))
            if mine:
                slow = sum(1 for w in mine if w > 0.2)
                print(f"  {'updates' if writer.updates else 'inserts'}: {len(mine):,} writes, longest "
                      f"{mine[-1] * 1000:.1f} ms, {slow} over 200 ms")
        print(f"longest wait of any write during the whole apply: {everything[-1] * 1000:.1f} ms")
        print(f"rows whose column differs from the JSON value after apply: {differs}")
        if args.diagnose:
            print_log(server.data_dir / "server.log")
    finally:
        server.stop(remove=True)


if __name__ == "__main__":
    main()
