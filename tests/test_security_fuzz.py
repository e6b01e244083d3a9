"""Issue 9's fuzz, a few hundred inputs in the suite (``bench/fuzz.py`` runs 10,000 and prints the figures).

Hostile mutations of a valid project (``bench/fuzzing.py``): every input exits 0 or 1,
never with a traceback, within a CPU bound and without growing this process past a
memory bound; the valid ones that go through plan and apply never touch the canary and
never leave a file on the server.
"""

from __future__ import annotations

import resource
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, DatabaseFactory

sys.path.insert(0, str(ROOT / "bench"))
import fuzzing  # noqa: E402

CPU_SECONDS_PER_INPUT = 5.0
PEAK_MB = 200  # no input may add more than this to the test process


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith(f"{field}:"))
    except (OSError, StopIteration):
        return None


def _start_measuring() -> float:
    """The memory the input starts from (MB), its peak reset to it where Linux allows.

    In a full run the test process has already grown past 200 MB on other tests, so what one
    input may use is measured from here: ``5`` in /proc/self/clear_refs resets the high-water
    mark (VmHWM) to the current size; elsewhere, the peak so far (an input must then raise it).
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_mb("VmRSS") or 0.0
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_mb() -> float:
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.long
@given(st.integers(min_value=0, max_value=2**31))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hostile_projects_exit_0_or_1_without_traceback(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    schema = fuzzing.make_project(work, seed)
    started, baseline = time.process_time(), _start_measuring()
    code, output, escaped = fuzzing.run_offline(schema, work / "generated")
    assert escaped is None, f"seed {seed}: {escaped!r}"
    assert code in (0, 1) and "Traceback" not in output, (seed, output)
    assert "\x1b" not in output and fuzzing.LEAK_MARK not in output, (seed, output)
    assert time.process_time() - started < CPU_SECONDS_PER_INPUT, seed
    assert _peak_mb() - baseline < PEAK_MB, f"seed {seed}: {_peak_mb() - baseline:.0f} MB above {baseline:.0f}"


@pytest.fixture(scope="module")
def template(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the base project, rows, dblink and the canary: copied for each input."""
    name = f"pgevolve_fuzz_{uuid.uuid4().hex[:10]}"
    fuzzing.prepare_template(pg_server_dsn, name, tmp_path_factory.mktemp("base"))
    yield name
    fuzzing.drop_database(pg_server_dsn, name)


_VALID_SEEDS: list[int] = []


def _valid_seeds(work: Path, count: int) -> list[int]:
    """The first ``count`` seeds (from 10,000 on) whose project is valid: those reach plan and apply."""
    seed = 10_000
    while len(_VALID_SEEDS) < count:
        directory = work / str(seed)
        if fuzzing.run_offline(fuzzing.make_project(directory, seed), directory / "generated")[0] == 0:
            _VALID_SEEDS.append(seed)
        seed += 1
    return _VALID_SEEDS[:count]


@pytest.mark.parametrize("index", range(6))
def test_valid_hostile_projects_never_touch_the_canary(index: int, template: str, pg_server_dsn: str,
                                                      databases: DatabaseFactory, tmp_path: Path) -> None:
    seed = _valid_seeds(tmp_path / "search", index + 1)[index]
    name = f"pgevolve_test_{uuid.uuid4().hex[:12]}"
    dsn = fuzzing.copy_database(pg_server_dsn, template, name)
    databases.created.append(name)
    schema = fuzzing.make_project(tmp_path / "case", seed, dsn_words=fuzzing.dsn_words(dsn))
    codes, output, escaped = fuzzing.run_online(schema, dsn)
    assert escaped is None and "Traceback" not in output, f"seed {seed}: {escaped!r}"
    assert codes[0] in (0, 1, 2) and codes[1:] in ([], [0], [1], [3]), (seed, codes, output)
    assert fuzzing.canary_lost(dsn) is None, (seed, output)
