"""What the test suite costs in CPU-seconds, not only in wall time (the machine is shared: a wall time
under someone else's load says little; the CPU the suite itself burns is what must fit in 2 cores × 5 min).

    python bench/suite.py                      # the full suite: python -m pytest -q -p no:cacheprovider
    python bench/suite.py tests/test_golden.py -k columns   # any pytest arguments instead
    python bench/suite.py --ledger [pytest arguments]       # and the CPU of each test and file (suite_ledger.py)

Prints the wall time, the CPU of pytest and everything it waited for (workers, CLI subprocesses:
``getrusage(RUSAGE_CHILDREN)``), and the CPU of every PostgreSQL server the run started. A server
daemonizes (pg_ctl start), so it is no child of ours: the servers are found by a marker variable this
script puts in the environment, which every process the run starts inherits, and sampled from /proc
twice a second (a postmaster's own time + its reaped children's + its live children's; the last
sample before a server stops is kept, so at most half a second of each server is missed).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from suite_ledger import MARKER, marked_postgres  # bench/ is the script's directory


class ServerSampler(threading.Thread):
    """Keeps, per postmaster of this run, the latest total CPU of the server (postmaster and backends)."""

    def __init__(self, run: str) -> None:
        super().__init__(daemon=True)
        self.run_id = run
        self.latest: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()
        self.sample()

    def sample(self) -> None:
        processes = marked_postgres({f"{MARKER}={self.run_id}".encode()})
        for pid, (parent, own, reaped) in processes.items():
            if parent in processes:
                continue  # a backend: counted under its postmaster
            live = sum(p_own for child, (p_parent, p_own, _) in processes.items() if p_parent == pid)
            self.latest[pid] = max(self.latest.get(pid, 0.0), own + reaped + live)


def main(args: list[str]) -> int:
    run = uuid.uuid4().hex
    env = {**os.environ, MARKER: run}
    ledger = None
    if args[:1] == ["--ledger"]:
        args = ["-p", "suite_ledger", *args[1:]]
        ledger = Path(f"/tmp/pgevolve-suite-ledger-{run}.jsonl")
        here = str(Path(__file__).resolve().parent)
        env.update(PGEVOLVE_SUITE_LEDGER=str(ledger), PYTHONPATH=os.pathsep.join(
            p for p in (here, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    sampler = ServerSampler(run)
    sampler.start()
    started = time.monotonic()
    code = subprocess.run(command, env=env, check=False).returncode
    wall = time.monotonic() - started
    sampler.stopping.set()
    sampler.join()
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    python_cpu = usage.ru_utime + usage.ru_stime
    servers = sum(sampler.latest.values())
    print(f"\n{' '.join(command[1:])}")
    print(f"exit {code}; wall {wall:.1f} s; loadavg before {' '.join(load_before)}, after {' '.join(load_after)}")
    print(f"CPU: pytest and its subprocesses {python_cpu:.1f} s (user {usage.ru_utime:.1f}, sys "
          f"{usage.ru_stime:.1f}); {len(sampler.latest)} PostgreSQL servers {servers:.1f} s; "
          f"total {python_cpu + servers:.1f} s")
    if ledger is not None and ledger.exists():
        _print_ledger(ledger)
    return code


def _print_ledger(ledger: Path) -> None:
    records = [json.loads(line) for line in ledger.read_text().splitlines()]
    files: dict[str, list[float]] = {}
    for r in records:
        total = files.setdefault(r["test"].split("::")[0], [0.0, 0.0, 0.0, 0])
        total[0] += r["python"]
        total[1] += r["server"]
        total[2] += r["wall"]
        total[3] += 1
    print(f"\nper test file (CPU-seconds; {len(records)} tests in {ledger}):")
    print(f"{'python':>8} {'server':>8} {'total':>8} {'wall':>8} {'tests':>6}  file")
    for name, (python, server, wall, count) in sorted(files.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:30]:
        print(f"{python:8.1f} {server:8.1f} {python + server:8.1f} {wall:8.1f} {count:6d}  {name}")
    print("\nslowest tests by CPU:")
    for r in sorted(records, key=lambda r: -(r["python"] + r["server"]))[:25]:
        print(f"{r['python']:8.1f} {r['server']:8.1f} {r['python'] + r['server']:8.1f} {r['wall']:8.1f}  {r['test']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
