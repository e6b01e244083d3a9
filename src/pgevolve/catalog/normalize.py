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
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from pgevolve import cache, model
from pgevolve.errors import ConnectionFailed, ExecutionFailed, PgevolveError
from pgevolve.server.connect import connect, mask_password, with_dbname
from pgevolve.sqltext.ident import quote_ident

if TYPE_CHECKING:
    from pgevolve.catalog.probes import ProbePlan

SCRATCH_PREFIX = "pgevolve_scratch_"


def canonicalize(desired: model.Database, *, server_dsn: str, use_cache: bool = True, setup: tuple[str, ...] = (),
                 known: Known | None = None) -> model.Database:
    """The desired model as PostgreSQL itself spells it, from the cache or a scratch database.

    ``setup``: statements that create the target's unmanaged objects (sequences, functions)
    that desired expressions may name; see ``materialize``. ``known``: what the caller knows already.
    """
    key = _key(desired, server_dsn, setup, known or Known())
    loaded = cache.load("canonical", key) if use_cache else None
    if isinstance(loaded, model.Database):
        return loaded
    result = materialize(desired, server_dsn=server_dsn, setup=setup, early=(known or Known()).scratch)
    if use_cache:
        cache.store_later("canonical", key, lambda: result, tables=len(result.tables))  # within a plan: at its end
    return result


def materialize(desired: model.Database, *, server_dsn: str, setup: tuple[str, ...] = (),
                early: EarlyScratch | None = None) -> model.Database:
    """``desired`` as PostgreSQL spells it, through a throwaway database on the server of ``server_dsn``.

    Only what the server rewrites is built there, each distinct thing once (``catalog.probes``);
    when the probes cannot stand for the schema, or fail to build, the whole schema is built and
    read back (``build_whole``), which also gives a broken schema the server's own error.
    ``early``: a scratch database being created meanwhile, used when it is ready in time.
    """
    from pgevolve.catalog.probes import plan_probes

    plan = plan_probes(desired)
    if plan is not None:
        with scratch_database(server_dsn, early) as scratch_dsn, connect(scratch_dsn) as conn:
            _require_extensions(conn, desired)
            probed = _build_probes(conn, desired, plan, setup)
        if probed is not None:
            return probed
    return build_whole(desired, server_dsn=server_dsn, setup=setup)


def _build_probes(conn: psycopg.Connection, desired: model.Database, plan: ProbePlan,
                  setup: tuple[str, ...]) -> model.Database | None:
    from pgevolve.catalog import introspect
    from pgevolve.catalog.probes import NotReadBack, apply_probes
    from pgevolve.sqltext.ddl import Scope

    scope = Scope.of(desired)
    try:
        _prepare(conn, desired, setup)
        conn.execute(";\n".join(plan.statements(scope)))
    except psycopg.Error:
        return None  # the whole build says what is wrong, in the server's words
    try:
        return apply_probes(plan, desired, introspect(conn, desired.schema))
    except NotReadBack:
        return None


def _prepare(conn: psycopg.Connection, desired: model.Database, setup: tuple[str, ...]) -> None:
    """What the probes stand on, in the whole build's order: the owned schema under search_path, the
    target's setup statements, the extensions (and their schemas) and the enums."""
    from pgevolve.sqltext.ddl import Scope, create_enum, create_schema, extension_statements

    # As in apply and in introspection: unqualified names resolve in the owned schema.
    _search_path(conn, desired.schema)
    conn.execute(create_schema(desired.schema))
    if setup:
        _run_setup(conn, _without_serial_sequences(setup, (desired,)))
    scope = Scope.of(desired)
    statements = extension_statements(desired)
    statements += [create_enum(e, scope) for e in model.sort_by_name(desired.enums)]
    if statements:
        conn.execute(";\n".join(statements))


def build_whole(desired: model.Database, *, server_dsn: str, setup: tuple[str, ...] = ()) -> model.Database:
    """Build ``desired`` in a throwaway database on the server of ``server_dsn`` and read it back.

    The ``setup`` statements run first, each on its own and a failure ignored: they recreate
    the target's unmanaged sequences and functions, so that ``DEFAULT nextval('invoice_seq')``
    or ``CHECK (is_valid_vin(vin))`` builds here as it does on the target. Introspection does
    not model them, so they never show up in the desired model.
    """
    return materialize_many((desired,), server_dsn=server_dsn, setup=setup)[0]


@dataclass(frozen=True, slots=True)
class Known:
    """What the caller of ``canonicalize`` knows already, to spare it work."""

    sources: str | None = None  # the cache key of the YAML files the models were compiled from
    server_version: int | None = None  # the version of the server of ``server_dsn``
    scratch: EarlyScratch | None = None  # a scratch database on that server, created meanwhile


def _key(desired: model.Database | tuple[model.Database, ...], server_dsn: str, setup: tuple[str, ...],
         known: Known) -> str:
    """The cache key of a canonical form: the server's version, the setup, and what the models were compiled
    from (the YAML files' key, which covers pgevolve's code too), else the models themselves."""
    version = known.server_version
    if version is None:
        with connect(server_dsn) as conn:
            version = conn.info.server_version
    # repr() of the frozen model is deterministic and spells every field: an exact key, at a cost that
    # grows with the schema; the files' key was made before compiling anyway.
    source = f"compiled from {known.sources}" if known.sources else repr(desired)
    return cache.key_of(str(version), source, *setup)


def canonicalize_many(desired: tuple[model.Database, ...], *, server_dsn: str, use_cache: bool = True,
                      setup: tuple[str, ...] = (), known: Known | None = None) -> tuple[model.Database, ...]:
    """``canonicalize`` for the owned schemas of a project with several, built together in one scratch database
    (a foreign key or a column type of one names a table or a type of another)."""
    if len(desired) == 1:
        return (canonicalize(desired[0], server_dsn=server_dsn, use_cache=use_cache, setup=setup, known=known),)
    key = _key(desired, server_dsn, setup, known or Known())
    loaded = cache.load("canonical", key) if use_cache else None
    if isinstance(loaded, tuple):
        return loaded
    result = materialize_many(desired, server_dsn=server_dsn, setup=setup, early=(known or Known()).scratch)
    if use_cache:
        cache.store_later("canonical", key, lambda: result,  # within a plan: at its end
                          tables=sum(len(d.tables) for d in result))
    return result


def materialize_many(desired: tuple[model.Database, ...], *, server_dsn: str, setup: tuple[str, ...] = (),
                     early: EarlyScratch | None = None) -> tuple[model.Database, ...]:
    """``materialize`` for one or more owned schemas (the project's first): each schema's sections in turn,
    each under its own search_path, then each schema read back under it."""
    from pgevolve.catalog import introspect
    from pgevolve.sqltext.ddl import PREREQUISITES_SECTION, create_schema, schema_sections

    primary = desired[0]
    owned = [d.schema for d in desired]
    with scratch_database(server_dsn, early) as scratch_dsn, connect(scratch_dsn) as conn:
        _require_extensions(conn, primary)
        try:
            # As in apply and in introspection: unqualified names resolve in the owned schema.
            _search_path(conn, primary.schema)
            if setup or primary.prerequisites or len(desired) > 1:
                for schema in owned:
                    conn.execute(create_schema(schema))
            sections = [schema_sections(d, prerequisites=False) for d in desired]
            batch: list[str] = []
            # The schemas, extensions and enum types first, as schema.sql and apply order them: a prerequisite
            # (a domain or a composite type over an enum) and the target's own functions may use them.
            for index in range(len(sections[0])):
                if index == PREREQUISITES_SECTION:
                    batch = []
                    _what_the_tables_need(conn, desired, setup)
                for db, own in zip(desired, sections, strict=True):
                    if own[index]:
                        _search_path(conn, db.schema)
                        batch = list(own[index])
                        conn.execute("".join(f"{s};\n" for s in batch))
        except psycopg.Error as exc:
            raise ExecutionFailed(
                f"the desired schema does not build on PostgreSQL: {_diagnostic(exc)}{_failed_statement(exc, batch)}"
            ) from None
        return tuple(introspect(conn, d.schema) for d in desired)


def _what_the_tables_need(conn: psycopg.Connection, desired: tuple[model.Database, ...],
                          setup: tuple[str, ...]) -> None:
    """prerequisites.sql, the target's own sequences and functions (``setup``), and stand-ins for the tables of
    other schemas that foreign keys reference."""
    from pgevolve.sqltext.ddl import external_table_stubs

    _search_path(conn, desired[0].schema)
    _run_prerequisites(conn, desired[0])
    if setup:
        _run_setup(conn, _without_serial_sequences(setup, desired))
    owned = [d.schema for d in desired]
    stubs = [s for d in desired for s in external_table_stubs(d, owned)]
    if stubs:
        conn.execute(";\n".join(dict.fromkeys(stubs)))


def _search_path(conn: psycopg.Connection, schema: str) -> None:
    conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(schema),))


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


def _run_prerequisites(conn: psycopg.Connection, desired: model.Database) -> None:
    """schema/prerequisites.sql, before the target's own objects (``setup``), which may be the same ones:
    a failure here is the file's, and says which statement."""
    from pgevolve.sqltext.ddl import extension_statements

    if not desired.prerequisites:
        return
    # The prerequisites may use the extensions' types and functions (created IF NOT EXISTS: again below).
    for statement in extension_statements(desired):
        conn.execute(statement)
    conn.execute("SELECT set_config('check_function_bodies', 'off', false)")
    for item in desired.prerequisites:
        try:
            with conn.transaction():
                conn.execute(item.sql)
        except psycopg.Error as exc:
            raise ExecutionFailed(f"prerequisites.sql line {item.line} ({item.kind} {item.name}) does not build on "
                                  f"PostgreSQL: {_diagnostic(exc)}") from None
    conn.execute("SELECT set_config('check_function_bodies', 'on', false)")


def _without_serial_sequences(setup: tuple[str, ...], desired: tuple[model.Database, ...]) -> tuple[str, ...]:
    """The target's standalone sequences, but those a serial column of the desired model will create under
    its own name (PostgreSQL would name the serial's sequence ``..._seq1`` instead: another default)."""
    from pgevolve.sqltext.ddl import serial_type
    from pgevolve.sqltext.expression_facts import server_ident
    from pgevolve.sqltext.ident import sequence_name

    names = [(db.schema, sequence_name(t.name, c.name)) for db in desired for t in db.tables for c in t.columns
             if serial_type(t.name, c)]
    # unmanaged.sql spells the name with quote_ident (quoted only when needed); ddl always quotes.
    serials = {f"CREATE SEQUENCE {spell(schema)}.{spell(name)} " for schema, name in names
               for spell in (server_ident, quote_ident)}
    return tuple(s for s in setup if not any(s.startswith(prefix) for prefix in serials))


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


def _scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _create_scratch(admin: psycopg.Connection, name: str) -> None:
    # template0: a database with nothing the target's template1 may hold (extensions, tables), the name
    # ours (a prefix and hex digits), never from YAML.
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')


class EarlyScratch:
    """A scratch database created on a thread of its own while the caller does other work.

    CREATE DATABASE copies template0: a tenth of a second or more of server time, spent while the
    YAML compiles. ``scratch_database`` takes the database when it was made; when it was not (no
    right to create databases, a read-only server), ``scratch_database`` creates one itself and
    reports what the server says. The connection that created it drops it, whoever took it
    (``drop``), or ``close`` does when nobody did. Made on the main thread: SIGTERM raises
    KeyboardInterrupt meanwhile, so that the caller's ``close`` still runs.
    """

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self._name = _scratch_name()
        self._admin = _Admin(server_dsn)
        self._made = False
        self._taken = False
        self._dropped = False
        self._previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        self._thread = threading.Thread(target=self._create, name="pgevolve-scratch")
        self._thread.start()

    def _create(self) -> None:
        try:
            _create_scratch(self._admin.connection(), self._name)
            self._made = True
        except (psycopg.Error, PgevolveError):
            pass  # scratch_database tries again and says why

    def take(self, server_dsn: str) -> str | None:
        """The database's name, once made on ``server_dsn``, for the first taker; else None."""
        if self._taken or server_dsn != self.server_dsn:
            return None
        self._thread.join()
        self._taken = True
        return self._name if self._made else None

    def drop(self) -> None:
        """Drop the database (once), through the connection that made it."""
        if self._made and not self._dropped:
            self._dropped = True
            self._admin.drop(self._name)

    def close(self) -> None:
        """Wait for the creation, and drop the database unless that was done."""
        self._thread.join()
        try:
            self.drop()
        finally:
            self._admin.close()
            signal.signal(signal.SIGTERM, self._previous)


class _Admin:
    """One connection to the server for a scratch database's CREATE and DROP: a connection is a backend
    started and its caches filled, ~8 ms of server time, once rather than twice."""

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self._stack = ExitStack()
        self._conn: psycopg.Connection | None = None

    def connection(self) -> psycopg.Connection:
        if self._conn is None:
            self._conn = self._stack.enter_context(connect(self.server_dsn))
        return self._conn

    def drop(self, name: str) -> None:
        statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            try:
                conn.execute(statement)  # the name is ours: a prefix and hex digits
                return
            except psycopg.OperationalError:
                pass  # the connection was lost meanwhile: drop through a new one
        with connect(self.server_dsn) as admin:
            admin.execute(statement)

    def close(self) -> None:
        self._conn = None
        self._stack.close()


@contextmanager
def scratch_database(server_dsn: str, early: EarlyScratch | None = None) -> Iterator[str]:
    """A fresh, empty database on the same server (``early``'s, when it made one); dropped on exit, also on
    SIGTERM or Ctrl-C."""
    name = early.take(server_dsn) if early is not None else None
    admin: _Admin | None = None
    if name is None:
        admin, name = _Admin(server_dsn), _scratch_name()
        try:
            _create_or_explain(admin.connection(), name)
        except BaseException:
            admin.close()
            raise
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield with_dbname(server_dsn, name)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if admin is None:
            assert early is not None
            early.drop()
        else:
            try:
                admin.drop(name)
            finally:
                admin.close()


def _create_or_explain(admin: psycopg.Connection, name: str) -> None:
    try:
        _create_scratch(admin, name)
    except psycopg.Error as exc:
        remedy = ("the server accepts no writes here (default_transaction_read_only, or a standby)"
                  if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction) else "grant CREATEDB")
        raise ConnectionFailed(
            "cannot create a scratch database to normalize the desired schema "
            f"({_diagnostic(exc)}); {remedy}, or pass --dev-url to a server where pgevolve may "
            "create databases"
        ) from None


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _failed_statement(exc: psycopg.Error, batch: list[str]) -> str:
    """Where in the batch the build failed, when the server says (``lower(f)`` on an enum column does
    not name the index or column it is in): the statement's first line names the table and the object,
    and the failing line of a CREATE TABLE its column or CHECK."""
    diag = getattr(exc, "diag", None)
    position = int(diag.statement_position) - 1 if diag and diag.statement_position else -1
    start = 0
    for statement in batch:
        if start <= position < start + len(statement):
            offset = position - start
            line_start = statement.rfind("\n", 0, offset) + 1
            line_end = statement.find("\n", offset)
            line = statement[line_start:line_end if line_end >= 0 else len(statement)].strip().rstrip(",")
            shown = line if line_start == 0 else f"{statement.split(chr(10), 1)[0].rstrip(' (')}: {line}"
            return f"\n  in {mask_password(shown[:300])}"
        start += len(statement) + 2  # joined with ";\n"
    return ""


def _diagnostic(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    text = (diag.message_primary if diag and diag.message_primary else str(exc)).strip()
    return mask_password(text)
