"""Which database to talk to, and how to say so without printing a password."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgevolve.errors import ConnectionFailed


@dataclass(frozen=True, slots=True)
class Target:
    dsn: str
    source: str  # "--database-url", "DATABASE_URL", "PG* variables", or LOCAL_SERVER
    detail: str = ""  # for the local server: which binaries, where its data lives

    @property
    def is_local_server(self) -> bool:
        """The local PostgreSQL that pgevolve started itself (and may configure)."""
        return self.source == LOCAL_SERVER

    def describe(self) -> str:
        if self.is_local_server:
            return f"{mask_password(self.dsn)} ({self.detail})"
        return f"{mask_password(self.dsn) or 'libpq defaults'} (from {self.source})"


LOCAL_SERVER = "local server"


_PG_VARIABLES = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")


def resolve_target(database_url: str | None, *, allow_embedded: bool = True) -> Target:
    """--database-url, else DATABASE_URL, else the libpq PG* variables, else pgevolve's local server.

    Every command resolves its database here, so the local server is the same for all of them.
    """
    if database_url:
        return Target(database_url, "--database-url")
    if os.environ.get("DATABASE_URL"):
        return Target(os.environ["DATABASE_URL"], "DATABASE_URL")
    if any(os.environ.get(name) for name in _PG_VARIABLES):
        return Target("", "PG* variables")
    if not allow_embedded:
        raise ConnectionFailed("no database given: pass --database-url or set DATABASE_URL")
    from pgevolve.server import embedded

    server = embedded.ensure_persistent()
    return Target(server.dsn("postgres"), LOCAL_SERVER, server.describe())


_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@]*):(?P<password>[^@]*)@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_password(text: str) -> str:
    """Replace any password inside a connection string (URL or key=value) with ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}***", text)


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    params = conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


@contextmanager
def connect(dsn: str, *, autocommit: bool = True, application_name: str = "pgevolve") -> Iterator[psycopg.Connection]:
    """Open a connection; a failure becomes ConnectionFailed with the password masked."""
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, application_name=application_name,
                               connect_timeout=10)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"cannot connect to {mask_password(dsn) or 'the database'}: "
                               f"{mask_password(str(exc)).strip()}") from None
    try:
        yield conn
    finally:
        conn.close()
