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
from typing import TYPE_CHECKING

import psycopg

from pgevolve import cache, model
from pgevolve.errors import ConnectionFailed, ExecutionFailed
from pgevolve.server.connect import connect, mask_password, with_dbname
from pgevolve.sqltext.ident import quote_ident

if TYPE_CHECKING:
    from pgevolve.catalog.probes import ProbePlan

SCRATCH_PREFIX = "pgevolve_scratch_"


def canonicalize(desired: model.Database, *, server_dsn: str, use_cache: bool = True,
                 setup: tuple[str, ...] = ()) -> model.Database:
    """The desired model as PostgreSQL itself spells it, from the cache or a scratch database.

    ``setup``: statements that create the target's unmanaged objects (sequences, functions)
    that desired expressions may name; see ``materialize``.
    """
    with connect(server_dsn) as conn:
        version = conn.info.server_version
    # repr() of the frozen model is deterministic and spells every field: a cheap, exact key.
    key = cache.key_of(str(version), repr(desired), *setup)
    loaded = cache.load("canonical", key) if use_cache else None
    if isinstance(loaded, model.Database):
        return loaded
    result = materialize(desired, server_dsn=server_dsn, setup=setup)
    if use_cache:
        cache.store("canonical", key, result)
    return result


def materialize(desired: model.Database, *, server_dsn: str, setup: tuple[str, ...] = ()) -> model.Database:
    """``desired`` as PostgreSQL spells it, through a throwaway database on the server of ``server_dsn``.

    Only what the server rewrites is built there, each distinct thing once (``catalog.probes``);
    when the probes cannot stand for the schema, or fail to build, the whole schema is built and
    read back (``build_whole``), which also gives a broken schema the server's own error.
    """
    from pgevolve.catalog.probes import plan_probes

    plan = plan_probes(desired)
    if plan is not None:
        with scratch_database(server_dsn) as scratch_dsn, connect(scratch_dsn) as conn:
            _require_extensions(conn, desired)
            probed = _build_probes(conn, desired, plan, setup)
        if probed is not None:
            return probed
    return build_whole(desired, server_dsn=server_dsn, setup=setup)


def _build_probes(conn: psycopg.Connection, desired: model.Database, plan: ProbePlan,
                  setup: tuple[str, ...]) -> model.Database | None:
    from pgevolve.catalog import introspect
    from pgevolve.catalog.probes import apply_probes
    from pgevolve.sqltext.ddl import Scope

    scope = Scope.of(desired)
    try:
        _prepare(conn, desired, setup)
        conn.execute(";\n".join(plan.statements(scope)))
    except psycopg.Error:
        return None  # the whole build says what is wrong, in the server's words
    return apply_probes(plan, desired, introspect(conn, desired.schema))


def build_whole(desired: model.Database, *, server_dsn: str, setup: tuple[str, ...] = ()) -> model.Database:
    """Build ``desired`` in a throwaway database on the server of ``server_dsn`` and read it back.

    The ``setup`` statements run first, each on its own and a failure ignored: they recreate
    the target's unmanaged sequences and functions, so that ``DEFAULT nextval('invoice_seq')``
    or ``CHECK (is_valid_vin(vin))`` builds here as it does on the target. Introspection does
    not model them, so they never show up in the desired model.
    """
    from pgevolve.catalog import introspect
    from pgevolve.sqltext.ddl import schema_sql

    with scratch_database(server_dsn) as scratch_dsn, connect(scratch_dsn) as conn:
        _require_extensions(conn, desired)
        try:
            _prepare(conn, desired, setup, head=False)  # schema_sql creates extensions and enums itself
            conn.execute(schema_sql(desired))
        except psycopg.Error as exc:
            raise ExecutionFailed(
                f"the desired schema does not build on PostgreSQL: {_diagnostic(exc)}"
            ) from None
        return introspect(conn, desired.schema)


def _prepare(conn: psycopg.Connection, desired: model.Database, setup: tuple[str, ...], *,
             head: bool = True) -> None:
    """search_path, the setup statements, and (``head``) the schema's extensions and enums."""
    from pgevolve.sqltext.ddl import Scope, create_enum, create_extension, create_schema

    # As in apply and in introspection: unqualified names resolve in the owned schema.
    conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(desired.schema),))
    if setup or head:
        conn.execute(create_schema(desired.schema))
    if setup:
        _run_setup(conn, setup)
    if not head:
        return
    scope = Scope.of(desired)
    statements = [create_extension(e, scope) for e in model.sort_by_name(desired.extensions)]
    statements += [create_enum(e, scope) for e in model.sort_by_name(desired.enums)]
    if statements:
        conn.execute(";\n".join(statements))


# Extensions that PostgreSQL itself has replaced: said when the server lacks them.
_BUILT_IN_INSTEAD = {
    "uuid-ossp": "uuid_generate_v4() has a built-in equivalent since PostgreSQL 13, gen_random_uuid(), which "
                 "needs no extension",
    "pgcrypto": "gen_random_uuid() is built in since PostgreSQL 13",
}


def _require_extensions(conn: psycopg.Connection, desired: model.Database) -> None:
    """Every listed extension is available on this server, or the plan stops and says which and why."""
    wanted = [e.name for e in desired.extensions]
    if not wanted:
        return
    rows = conn.execute("SELECT name FROM pg_available_extensions WHERE name = ANY (%s)", (wanted,)).fetchall()
    missing = sorted(set(wanted) - {r[0] for r in rows})
    if not missing:
        return
    version = conn.execute("SHOW server_version").fetchone()
    hints = "".join(f"; {_BUILT_IN_INSTEAD[name]}" for name in missing if name in _BUILT_IN_INSTEAD)
    raise ExecutionFailed(
        f"extension{'s' * (len(missing) > 1)} {', '.join(missing)} listed in pgevolve.yaml "
        f"{'are' if len(missing) > 1 else 'is'} not available on this PostgreSQL "
        f"({version[0] if version else 'unknown version'}): install {'them' if len(missing) > 1 else 'it'} on the "
        f"server, point --database-url (or --dev-url) at one that has {'them' if len(missing) > 1 else 'it'}, or "
        f"remove {'them' if len(missing) > 1 else 'it'} from the YAML{hints}")


def _run_setup(conn: psycopg.Connection, setup: tuple[str, ...]) -> None:
    # Function bodies are not checked: they name tables the scratch database may not have yet.
    conn.execute("SELECT set_config('check_function_bodies', 'off', false)")
    for statement in setup:
        try:
            with conn.transaction():
                conn.execute(statement)
        except psycopg.Error:
            continue  # e.g. a function on a type the YAML creates: the build says so if it matters
    conn.execute("SELECT set_config('check_function_bodies', 'on', false)")


@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A fresh, empty database on the same server; dropped on exit, also on SIGTERM or Ctrl-C."""
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connect(server_dsn) as admin:
        try:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        except psycopg.Error as exc:
            remedy = ("the server accepts no writes here (default_transaction_read_only, or a standby)"
                      if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction) else "grant CREATEDB")
            raise ConnectionFailed(
                "cannot create a scratch database to normalize the desired schema "
                f"({_diagnostic(exc)}); {remedy}, or pass --dev-url to a server where pgevolve may "
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
