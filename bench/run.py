"""Benchmark: pgevolve's plan against migra's diff on the same databases, side by side in one run.

    python bench/run.py [--sizes 100,1000] [--repeat 3] [--migra PATH]

For each N it builds, on one PostgreSQL server, from hand-written SQL (bench/synth.py):
`live` (the synthetic schema), `live_copy` (the same), `live_plus` (the same plus one
column in one table) and `empty`. It then times, end to end as separate processes
(wall time and peak RSS from os.wait4), the runs CI and a DBA see:

- cold no-op: `pgevolve plan` with no cache (a fresh CI runner), YAML equal to the database;
- cold one change: no cache, the YAML adds one column to one table;
- warm no-op: the cache of an earlier plan of the same YAML present (a DBA re-running plan);
- full plan from an empty database, cold and warm;
- migra (djrobstep's, with schemainspect): the no-op diff (live vs live_copy), the one-change
  diff (live vs live_plus) and the full diff (empty vs live). migra reads two live databases
  and normalizes nothing.

Each figure is the best of --repeat interleaved runs (a busy moment hits both tools alike).
Ratios are migra / pgevolve: above 1, pgevolve is faster.

migra is never a dependency of pgevolve: install it into a virtual environment of its own and
name it with --migra or PGEVOLVE_BENCH_MIGRA (default: `migra` on PATH):

    python -m venv /work/venv-migra && /work/venv-migra/bin/pip install migra psycopg2-binary

Without it the migra columns are left out, and the output says so.
The server is a throwaway one started with pgevolve.server.embedded (or the server of
PGEVOLVE_BENCH_DSN).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import synth  # noqa: E402

from pgevolve.catalog import QueryStats, introspect  # noqa: E402
from pgevolve.server import embedded  # noqa: E402
from pgevolve.server.connect import with_dbname  # noqa: E402

ADDED_COLUMN = "bench_added"


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit_code: int


def find_migra(given: str | None) -> Path | None:
    named = given or os.environ.get("PGEVOLVE_BENCH_MIGRA")
    found = named or shutil.which("migra")
    return Path(found) if found and Path(found).exists() else None


def timed(argv: list[str], env: dict[str, str] | None = None, expect: tuple[int, ...] = (0, 2)) -> Run:
    """Wall time and peak resident memory of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(argv[:4])} ... exited {code}, expected {expect}:\n{error}")
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


def one_more_column(schema: Path, out: Path) -> Path:
    """A copy of the YAML project with one column added to its last table."""
    shutil.copytree(schema, out)
    last = sorted((out / "tables").glob("*.yaml"))[-1]
    text = last.read_text().replace("columns:\n", f"columns:\n  {ADDED_COLUMN}: {{ type: text }}\n", 1)
    last.write_text(text)
    return out


class Bench:
    def __init__(self, n: int, server: str, migra: Path | None, work: Path) -> None:
        self.n, self.migra, self.work = n, migra, work
        self.schema = synth.write_project(n, work / f"n{n}")
        self.changed = one_more_column(self.schema, work / f"n{n}-plus" / "schema")
        sql = synth.render_sql(n)
        last = synth.table_name(n - 1)
        names = (("live", sql), ("live_copy", sql), ("empty", None),
                 ("live_plus", sql + f"ALTER TABLE {last} ADD COLUMN {ADDED_COLUMN} text;\n"))
        self.db = {k: create(server, f"bench_{n}_{k}", s) for k, s in names}
        self.warm_cache = work / f"cache{n}-warm"
        self.cold_count = 0

    def pgevolve(self, schema: Path, db: str, cache: Path | None = None) -> Run:
        if cache is None:  # a fresh, empty cache: what a new CI runner has
            self.cold_count += 1
            cache = self.work / f"cache{self.n}-cold-{self.cold_count}"
        env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(cache)}
        argv = [sys.executable, "-m", "pgevolve", "plan", "--schema-dir", str(schema), "--database-url", db]
        return timed(argv, env)

    def migra_diff(self, a: str, b: str) -> Run:
        assert self.migra is not None
        return timed([str(self.migra), "--unsafe", migra_url(self.db[a]), migra_url(self.db[b])])

    def round(self) -> dict[str, Run]:
        """One run of everything, interleaved."""
        runs = {"cold no-op": self.pgevolve(self.schema, self.db["live"])}
        if self.migra:
            runs["migra no-op"] = self.migra_diff("live", "live_copy")
        runs["cold one change"] = self.pgevolve(self.changed, self.db["live"])
        if self.migra:
            runs["migra one change"] = self.migra_diff("live", "live_plus")
        self.pgevolve(self.schema, self.db["live"], self.warm_cache)  # fills the warm cache (first round)
        runs["warm no-op"] = self.pgevolve(self.schema, self.db["live"], self.warm_cache)
        runs["cold full"] = self.pgevolve(self.schema, self.db["empty"])
        runs["warm full"] = self.pgevolve(self.schema, self.db["empty"], self.warm_cache)
        if self.migra:
            runs["migra full"] = self.migra_diff("empty", "live")
        return runs

    def drop(self, server: str) -> None:
        with psycopg.connect(server, autocommit=True) as conn:
            for dsn in self.db.values():
                conn.execute(f'DROP DATABASE "{psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]}" WITH (FORCE)')


ROWS = [
    ("cold no-op", "pgevolve plan, no cache, YAML equal to the database", "migra no-op"),
    ("cold one change", "pgevolve plan, no cache, one column added in the YAML", "migra one change"),
    ("warm no-op", "pgevolve plan, cache warm, YAML equal to the database", "migra no-op"),
    ("cold full", "pgevolve plan against an empty database, no cache", "migra full"),
    ("warm full", "pgevolve plan against an empty database, cache warm", "migra full"),
    ("migra no-op", "migra diff, live vs an identical copy", None),
    ("migra one change", "migra diff, live vs live plus one column", None),
    ("migra full", "migra diff, empty vs live", None),
]


def measure(n: int, server: str, migra: Path | None, repeat: int, work: Path) -> None:
    print(f"\n## N = {n} tables", flush=True)
    bench = Bench(n, server, migra, work)
    try:
        stats = QueryStats()
        with psycopg.connect(bench.db["live"], autocommit=True) as conn:
            introspect(conn, "public", stats=stats)
        rounds = [bench.round() for _ in range(repeat)]
    finally:
        bench.drop(server)
    runs = {key: best([r[key] for r in rounds]) for key in rounds[0]}
    print(f"catalog queries per introspection: {stats.queries}")
    print(f"{'what':<58} {'seconds':>8} {'peak RSS MB':>12} {'migra/pgevolve':>15}")
    for key, label, versus in ROWS:
        if key not in runs:
            continue
        run = runs[key]
        ratio = f"{runs[versus].seconds / run.seconds:>14.2f}x" if versus in runs else ""
        print(f"{label:<58} {run.seconds:>8.2f} {run.max_rss_mb:>12.1f} {ratio:>15}", flush=True)
    if not migra:
        print("(migra not found: its rows and the ratios are left out; see --migra)")


def compile_bytecode() -> None:
    """pgevolve's modules compiled to bytecode, as pip does when it installs a package: an editable install
    (or PYTHONDONTWRITEBYTECODE, set on some machines) would otherwise compile every module at every run,
    while migra's installed modules are compiled once."""
    import compileall

    import pgevolve

    compileall.compile_dir(Path(pgevolve.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--migra", help="path of migra's script (default: $PGEVOLVE_BENCH_MIGRA, else on PATH)")
    args = parser.parse_args()
    migra = find_migra(args.migra)
    compile_bytecode()
    given = os.environ.get("PGEVOLVE_BENCH_DSN")
    server = None if given else embedded.start_throwaway()
    try:
        dsn = given or server.dsn("postgres")  # type: ignore[union-attr]
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        load = os.getloadavg()[0]
        print(f"# pgevolve vs migra: PostgreSQL {version}, {platform.machine()}, {os.cpu_count()} cores, "
              f"load {load:.1f} at start, best of {args.repeat} interleaved runs")
        print(f"migra: {migra or 'not found'}")
        with tempfile.TemporaryDirectory(prefix="pgevolve-bench-") as work:
            for n in (int(s) for s in args.sizes.split(",")):
                measure(n, dsn, migra, args.repeat, Path(work))
    finally:
        if server is not None:
            server.stop(remove=True)


if __name__ == "__main__":
    main()
