"""pytest plugin of ``bench/suite.py --ledger``: the CPU each test costs, its server's included.

Loaded with ``-p suite_ledger`` (bench/ on PYTHONPATH) in the controller and in every xdist worker.
Around each test (setup, call and teardown) a worker adds up its own CPU and its reaped children's
(``os.times``: CLI subprocesses, pg_ctl) and the CPU of the PostgreSQL servers it started (every
postgres process carrying this run's marker and this worker's PYTEST_XDIST_WORKER in its environment,
which a server inherits from the worker that started it; each worker has its own server, so the
difference is this test's). One JSON line per test goes to $PGEVOLVE_SUITE_LEDGER.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TICK = os.sysconf("SC_CLK_TCK")
MARKER = "PGEVOLVE_SUITE_BENCH"


def marked_postgres(wanted: set[bytes]) -> dict[int, tuple[int, float, float]]:
    """Every postgres process whose environment holds all of ``wanted`` (``NAME=value``): pid -> (parent pid,
    own CPU seconds, reaped children's CPU seconds). Shared with bench/suite.py."""
    found: dict[int, tuple[int, float, float]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
                continue
            if not wanted <= set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")):
                continue
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        found[int(pid)] = (int(fields[1]), (utime + stime) / TICK, (cutime + cstime) / TICK)
    return found


def _servers_cpu() -> dict[int, float]:
    """CPU so far of each of this worker's servers, by postmaster: its own and reaped children's, plus its live
    children's (a backend's CPU moves into the postmaster's reaped total when it exits)."""
    run, worker = os.environ.get(MARKER), os.environ.get("PYTEST_XDIST_WORKER", "master")
    processes = marked_postgres({f"{MARKER}={run}".encode(), f"PYTEST_XDIST_WORKER={worker}".encode()})
    totals: dict[int, float] = {}
    for pid, (parent, own, reaped) in processes.items():
        if parent in processes:
            totals[parent] = totals.get(parent, 0.0) + own
        else:
            totals[pid] = totals.get(pid, 0.0) + own + reaped
    return totals


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """Server CPU between two samples; a server stopped in between counts nothing (its last moments are lost)."""
    return sum(total - before.get(pid, 0.0) for pid, total in after.items())


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    path = os.environ.get("PGEVOLVE_SUITE_LEDGER")
    if not path:
        yield
        return
    wall, own, servers = time.monotonic(), _own_cpu(), _servers_cpu()
    yield
    record = {"test": item.nodeid, "worker": os.environ.get("PYTEST_XDIST_WORKER", "master"),
              "wall": round(time.monotonic() - wall, 3), "python": round(_own_cpu() - own, 3),
              "server": round(_spent(servers, _servers_cpu()), 3)}
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")
