"""Let PostgreSQL normalize the desired state.

The YAML says ``auto_data->>'vin'``; the catalog says
``(auto_data ->> 'vin'::text)``. Rather than re-implement the server's
deparser, the desired model is built in a scratch database and read back with
the same introspection code that reads the target, so equal schemas give equal
models and a plan right after an apply is empty.

Materializing a large schema costs seconds, so the canonical form is cached,
keyed by the desired model, the server's version and pgevolve's version: it is
rebuilt only when the YAML changes. Planning never runs DDL on the target
database itself: the scratch database is created next to it (or on the server
of ``--dev-url``) and dropped afterwards, also on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pgevolve import __version__, codec, model
from pgevolve.connect import connect, mask_password, with_dbname
from pgevolve.errors import ConnectionFailed, ExecutionFailed

SCRATCH_PREFIX = "pgevolve_scratch_"


@dataclass(frozen=True, slots=True)
class Canonicalized:
    database: model.Database
    from_cache: bool


def cache_dir() -> Path:
    explicit = os.environ.get("PGEVOLVE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "pgevolve" / "canonical"


def canonicalize(desired: model.Database, *, server_dsn: str, use_cache: bool = True) -> Canonicalized:
    """The desired model as PostgreSQL itself spells it, from the cache or a scratch database."""
    with connect(server_dsn) as conn:
        version = conn.info.server_version
    key = codec.fingerprint({"model": desired, "server": version, "pgevolve": __version__})
    cached = cache_dir() / f"{key}.json"
    if use_cache and cached.exists():
        try:
            return Canonicalized(codec.load_database(cached.read_text()), from_cache=True)
        except (ValueError, TypeError, KeyError):
            pass  # a corrupt or outdated cache entry is rebuilt below
    result = materialize(desired, server_dsn=server_dsn)
    if use_cache:
        _write_atomically(cached, codec.dump_database(result))
    return Canonicalized(result, from_cache=False)


def materialize(desired: model.Database, *, server_dsn: str) -> model.Database:
    """Build ``desired`` in a throwaway database on the server of ``server_dsn`` and read it back."""
    from pgevolve.catalog import introspect
    from pgevolve.plan.ddl import schema_sql

    with scratch_database(server_dsn) as scratch_dsn, connect(scratch_dsn) as conn:
        try:
            conn.execute(schema_sql(desired))  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise ExecutionFailed(
                f"the desired schema does not build on PostgreSQL: {_diagnostic(exc)}"
            ) from None
        return introspect(conn, desired.schema)


@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A fresh, empty database on the same server; dropped on exit, also on SIGTERM or Ctrl-C."""
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connect(server_dsn) as admin:
        try:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        except psycopg.Error as exc:
            raise ConnectionFailed(
                "cannot create a scratch database to normalize the desired schema "
                f"({_diagnostic(exc)}); grant CREATEDB or pass --dev-url to a server where pgevolve may "
                "create databases"
            ) from None
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield with_dbname(server_dsn, name)
    finally:
        signal.signal(signal.SIGTERM, previous)
        with connect(server_dsn) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _diagnostic(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    text = (diag.message_primary if diag and diag.message_primary else str(exc)).strip()
    return mask_password(text)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
