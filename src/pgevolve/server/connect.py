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
            return f"{mask_dsn(self.dsn)} ({self.detail})"
        return f"{mask_dsn(self.dsn) or 'libpq defaults'} (from {self.source})"


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


# In a URL the password runs from the first ':' after the user to the LAST '@' of the
# address: a raw '@' (or '/') inside a password is a mistake libpq reports, and the error
# names what follows the first '@' as a host, so everything up to the last one is hidden.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:@/\s]*):(?P<password>\S*)@")
# key=value: a quoted value, a password masked already, else everything up to the next
# "key=" or the end of the line, so that `password=s3cr3t PW` (a space the user meant to
# quote) hides both words rather than print the second.
_KV_PASSWORD = re.compile(
    r"(?P<head>password\s*=\s*)(?:'(?:[^'\\]|\\.)*(?:'|$)|\*\*\*(?=[\s:;,)]|$)|[^\n]*?(?=\s+\w+\s*=|\n|$))",
    re.IGNORECASE | re.MULTILINE)
# A whole connection URL (not a message that quotes one): its password runs from the ':' after
# the user to the last '@' of the string, whatever it holds (a space or a newline the user forgot
# to percent-encode, which libpq then quotes in its error).
_DSN_PASSWORD = re.compile(r"(?P<head>\s*[A-Za-z][\w+.-]*://[^:@/\s]*):(?P<password>.*)@", re.DOTALL)


def mask_password(text: str) -> str:
    """Replace any password inside a connection string (URL or key=value) with ***; unsure: hide more."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
    return _KV_PASSWORD.sub(lambda m: f"{m['head']}***", text)


def mask_dsn(dsn: str) -> str:
    """A connection string itself (URL or key=value) with its password hidden, also when malformed."""
    whole = _DSN_PASSWORD.match(dsn)
    if whole is not None:
        dsn = f"{whole['head']}:***@{dsn[whole.end():]}"
    return mask_password(dsn)


def mask_secrets(text: str, dsn: str) -> str:
    """mask_password, and every word of the DSN's password hidden wherever it appears.

    libpq quotes pieces of a malformed connection string in its errors (``missing "=" after
    "PW"`` for ``password=s3cr3t PW``): those pieces are the password's.
    """
    masked = mask_password(text)
    whole = _DSN_PASSWORD.match(dsn)
    secrets = [whole["password"]] if whole is not None else []
    secrets += [m["password"] for m in _URL_PASSWORD.finditer(dsn)]
    secrets += [m[0][len(m["head"]):] for m in _KV_PASSWORD.finditer(dsn)]
    # A raw '@' or '/' in a URL password makes libpq read what follows as the host or path.
    words = {w.strip("'\"") for secret in secrets for w in re.split(r"[\s@/]", secret)} - {"***", ""}
    for word in sorted(words, key=len, reverse=True):
        if len(word) >= 2:
            masked = masked.replace(word, "***")
    return masked


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
        raise ConnectionFailed(f"cannot connect to {mask_dsn(dsn) or 'the database'}: "
                               f"{mask_secrets(str(exc), dsn).strip()}") from None
    try:
        _settle_session(conn)
        yield conn
    finally:
        conn.close()


# Every session pgevolve opens reads string literals one way: with standard_conforming_strings
# off (a database or role default some old applications keep), a backslash in '...' escapes
# the next character and a literal could end early. pgevolve writes E'...' whenever a value
# holds a backslash, and the catalog's own text (pg_get_expr) is printed for the setting in
# force, so both are pinned here. Function bodies are checked when created (the default;
# the scratch database turns it off only while it recreates the target's own functions).
_SESSION_SETTINGS = ("SELECT set_config('standard_conforming_strings', 'on', false), "
                     "set_config('check_function_bodies', 'on', false)")


def _settle_session(conn: psycopg.Connection) -> None:
    conn.execute(_SESSION_SETTINGS)
    if not conn.autocommit:
        conn.commit()
