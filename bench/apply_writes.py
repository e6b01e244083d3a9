"""How long do the application's writes wait while `pgevolve apply` changes a big table?

    python bench/apply_writes.py [--rows 1000000] [--writers 2]

Fills `leads` with N rows, starts writer threads that insert continuously (each
insert timed), and runs `pgevolve apply` for a plan that adds a nullable column,
a CHECK (NOT VALID, then VALIDATE), a foreign key and an index on the VIN
(CREATE INDEX CONCURRENTLY). Prints the apply's duration and the longest,
99th-percentile and median wait of any single write during it.
"""

from __future__ import annotations

import argparse
import os
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
  id:        { type: bigint, identity: by default, primary_key: true }
  agent_id:  { type: integer }
  full_name: { type: text, nullable: false }
  auto_data: { type: jsonb }
"""
AGENTS = """
table: agents
columns:
  id: { type: integer, primary_key: true }
"""
AFTER = BEFORE.replace("  agent_id:  { type: integer }",
                       "  agent_id:  { type: integer, references: agents.id, on_delete: set null }") + """\
  score:     { type: integer, check: "score >= 0" }
indexes:
  - expression: "auto_data->>'vin'"
  - columns: [full_name]
"""


def write_schema(root: Path, leads: str) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(leads)
    (schema / "tables" / "agents.yaml").write_text(AGENTS)
    return schema


def apply(schema: Path, dsn: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pgevolve", "apply", "--schema-dir", str(schema),
                             "--database-url", dsn, "--yes", "--lock-timeout", "2s", "--lock-retries", "10"],
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return time.perf_counter() - started


class Writer(threading.Thread):
    def __init__(self, dsn: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.dsn, self.stop, self.waits = dsn, stop, []  # type: ignore[var-annotated]

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.perf_counter()
                conn.execute("INSERT INTO leads (agent_id, full_name, auto_data) VALUES (1, 'w', "
                             "jsonb_build_object('vin', md5(random()::text)))")
                self.waits.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=2)
    args = parser.parse_args()
    server = embedded.start_throwaway()
    try:
        admin = server.dsn("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_apply")
        dsn = with_dbname(admin, "bench_apply")
        with tempfile.TemporaryDirectory(prefix="pgevolve-bench-") as work:
            env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(Path(work) / "cache")}
            apply(write_schema(Path(work) / "a", BEFORE), dsn, env)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("INSERT INTO agents SELECT g FROM generate_series(1, 100) g")
                conn.execute(f"INSERT INTO leads (agent_id, full_name, auto_data) SELECT 1 + g % 100, 'n' || g, "
                             f"jsonb_build_object('vin', md5(g::text)) FROM generate_series(1, {args.rows}) g")
                conn.execute("VACUUM ANALYZE leads")
            stop = threading.Event()
            writers = [Writer(dsn, stop) for _ in range(args.writers)]
            for writer in writers:
                writer.start()
            time.sleep(1.0)
            seconds = apply(write_schema(Path(work) / "b", AFTER), dsn, env)
            time.sleep(0.5)
            stop.set()
            for writer in writers:
                writer.join()
        waits = sorted(w for writer in writers for w in writer.waits)
        print(f"rows: {args.rows:,}; writers: {args.writers}; apply took {seconds:.2f} s")
        print(f"writes during the run: {len(waits):,}; longest wait {waits[-1] * 1000:.1f} ms; "
              f"p99 {waits[int(len(waits) * 0.99)] * 1000:.2f} ms; median {statistics.median(waits) * 1000:.2f} ms")
    finally:
        server.stop(remove=True)


if __name__ == "__main__":
    main()
