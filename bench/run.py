"""Benchmark: pgevolve's plan against migra's diff on the same databases, measured in one run.

    python bench/run.py [--sizes 100,1000] [--repeat 3]

For each N it builds, on one PostgreSQL server: `live` (the synthetic schema,
loaded from hand-written SQL), `live_copy` (the same, for migra's no-op
diff) and `empty`. It then times, end to end as separate processes:

- pgevolve no-op plan (YAML vs live), cold (canonical cache empty: the scratch
  database is built) and warm (cached canonical form);
- pgevolve full plan (YAML vs empty);
- migra no-op diff (live vs live_copy) and full diff (empty vs live),

with each process's peak RSS (os.wait4), the catalog queries of one
introspection, and an in-process breakdown of pgevolve's warm no-op plan.

migra (djrobstep's, with schemainspect) is installed by this script into its
own virtual environment, bench/.venv-migra, with psycopg2-binary; with
SQLAlchemy 2 its URLs need the postgresql+psycopg2:// scheme.

The server is a throwaway one started with pgevolve.server.embedded (or the server
of PGEVOLVE_BENCH_DSN).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import synth  # noqa: E402

from pgevolve.catalog import QueryStats, introspect  # noqa: E402
from pgevolve.pipeline import plan_against  # noqa: E402
from pgevolve.server import embedded  # noqa: E402
from pgevolve.server.connect import Target, with_dbname  # noqa: E402

MIGRA_VENV = BENCH / ".venv-migra"


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit_code: int


def ensure_migra() -> Path:
    migra = MIGRA_VENV / "bin" / "migra"
    if not migra.exists():
        print("installing migra into bench/.venv-migra ...", flush=True)
        venv.create(MIGRA_VENV, with_pip=True)
        subprocess.run([str(MIGRA_VENV / "bin" / "pip"), "install", "-q", "migra", "psycopg2-binary"], check=True)
    return migra


def timed(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"{argv[0]} failed ({code}): {process.stderr.read().decode() if process.stderr else ''}")
    return Run(seconds=seconds, max_rss_mb=usage.ru_maxrss / 1024, exit_code=code)


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def migra_url(dsn: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"postgresql+psycopg2://{info.get('user', 'postgres')}@{info['host']}:{info['port']}/{info['dbname']}"


def create(server: str, name: str, sql: str | None) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    dsn = with_dbname(server, name)
    if sql:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
    return dsn


def breakdown(schema: Path, live: str) -> dict[str, float]:
    """In-process timings of a warm no-op plan and of its catalog read."""
    started = time.perf_counter()
    planned = plan_against(schema, Target(live, "bench"))
    planned_at = time.perf_counter()
    assert planned.plan.is_empty, "the synthetic YAML and SQL disagree"
    with psycopg.connect(live, autocommit=True) as conn:
        introspect(conn, "public")
    read = time.perf_counter()
    cold_compile = time.perf_counter()
    from pgevolve.source import compile_project, load_project

    compile_project(load_project(schema))
    compiled = time.perf_counter()
    return {"warm no-op plan": planned_at - started, "of which introspection": read - planned_at,
            "load+validate+compile without cache": compiled - cold_compile}


def measure(n: int, server: str, migra: Path, repeat: int, work: Path) -> None:
    print(f"\n## N = {n} tables", flush=True)
    schema = synth.write_project(n, work / f"n{n}")
    sql = synth.render_sql(n)
    live, copy, empty = (create(server, f"bench_{n}_{k}", s) for k, s in
                         (("live", sql), ("live_copy", sql), ("empty", None)))
    stats = QueryStats()
    with psycopg.connect(live, autocommit=True) as conn:
        introspect(conn, "public", stats=stats)
    cache = work / f"cache{n}"
    env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(cache)}
    pgevolve = [sys.executable, "-m", "pgevolve", "plan", "--schema-dir", str(schema)]
    cold = timed([*pgevolve, "--database-url", live], env)  # builds the scratch database, fills the cache
    # Interleaved, so that a busy moment of the machine hits both tools alike.
    runs: dict[str, list[Run]] = {"warm": [], "full": [], "migra_noop": [], "migra_full": []}
    for _ in range(repeat):
        runs["warm"].append(timed([*pgevolve, "--database-url", live], env))
        runs["migra_noop"].append(timed([str(migra), "--unsafe", migra_url(live), migra_url(copy)]))
        runs["full"].append(timed([*pgevolve, "--database-url", empty], env))
        runs["migra_full"].append(timed([str(migra), "--unsafe", migra_url(empty), migra_url(live)]))
    warm, full, migra_noop, migra_full = (best(runs[k]) for k in ("warm", "full", "migra_noop", "migra_full"))
    rows = [
        ("pgevolve no-op plan, warm (cached canonical form)", warm),
        ("pgevolve no-op plan, cold (builds scratch database)", cold),
        ("pgevolve full plan against an empty database", full),
        ("migra no-op diff (live vs identical copy)", migra_noop),
        ("migra full diff (empty vs live)", migra_full),
    ]
    print(f"catalog queries per introspection: {stats.queries}")
    print(f"{'what':<55} {'seconds':>8} {'peak RSS MB':>12}")
    for label, run in rows:
        print(f"{label:<55} {run.seconds:>8.2f} {run.max_rss_mb:>12.1f}")
    print(f"ratio, no-op: migra / pgevolve warm = {migra_noop.seconds / warm.seconds:.1f}x; "
          f"migra / pgevolve cold = {migra_noop.seconds / cold.seconds:.1f}x")
    print(f"ratio, full:  migra / pgevolve = {migra_full.seconds / full.seconds:.1f}x")
    os.environ["PGEVOLVE_CACHE_DIR"] = str(cache)
    parts = breakdown(schema, live)
    print("pgevolve in-process: " + ", ".join(f"{k} {v:.2f}s" for k, v in parts.items()))
    with psycopg.connect(server, autocommit=True) as conn:
        for dsn in (live, copy, empty):
            conn.execute(f'DROP DATABASE "{psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    migra = ensure_migra()
    given = os.environ.get("PGEVOLVE_BENCH_DSN")
    server = None if given else embedded.start_throwaway()
    try:
        dsn = given or server.dsn("postgres")  # type: ignore[union-attr]
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        print(f"# pgevolve vs migra — PostgreSQL {version}, {os.cpu_count()} cores, "
              f"best of {args.repeat} interleaved runs (cold: one run)")
        with tempfile.TemporaryDirectory(prefix="pgevolve-bench-") as work:
            for n in (int(s) for s in args.sizes.split(",")):
                measure(n, dsn, migra, args.repeat, Path(work))
    finally:
        if server is not None:
            server.stop(remove=True)


if __name__ == "__main__":
    main()
