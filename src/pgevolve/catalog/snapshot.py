"""One consistent, bounded read of the catalog.

Every catalog query of a read runs in one REPEATABLE READ READ ONLY transaction,
so they all see the same snapshot: a column added by another session between the
columns query and the constraints query cannot appear in one and not the other.
PostgreSQL's deparsing functions (``pg_get_expr``, ``pg_get_indexdef``,
``format_type``) read the system caches, which follow the latest committed
catalog rather than the snapshot: a DDL that commits during the read can still
make one fail ("cache lookup failed") or disagree with the rows. Such a read is
started again on a fresh snapshot, a few times, then reported.

``pg_get_expr`` opens the table it deparses for (ACCESS SHARE), so a session
holding ACCESS EXCLUSIVE on a table stalls the read: ``lock_timeout`` bounds the
wait, ``statement_timeout`` the whole query, and the error names the session in
the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.pq import TransactionStatus

from pgevolve.errors import ExecutionFailed
from pgevolve.server.sessions import describe_blockers, exclusive_holders
from pgevolve.sqltext import ident

T = TypeVar("T")

ATTEMPTS = 3  # reads started over when a concurrent DDL disturbed one


@dataclass(frozen=True, slots=True)
class CatalogTimeouts:
    lock_timeout: str = "5s"  # as apply's default: the longest a catalog read waits for one lock
    statement_timeout: str = "2min"  # the longest one catalog query may run


class CatalogLockTimeout(ExecutionFailed):
    """A catalog query waited longer than lock_timeout; the message names who holds the lock."""


class CatalogChanging(ExecutionFailed):
    """Concurrent DDL disturbed every attempt to read the catalog."""


# What a DDL committed during a read does to it: a cache lookup of a dropped object fails (XX000),
# a regclass or oid names a relation that is gone, or the rows of two queries disagree (KeyError).
_DISTURBED = (pg_errors.InternalError_, pg_errors.UndefinedTable, pg_errors.UndefinedObject, KeyError)


def read_consistently(conn: psycopg.Connection, schema: str, read: Callable[[], T],
                      timeouts: CatalogTimeouts | None = None) -> T:
    """``read()`` inside ``snapshot``, started over on a fresh snapshot when concurrent DDL disturbed it."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with snapshot(conn, schema, timeouts or CatalogTimeouts()):
                return read()
        except _DISTURBED as exc:
            if attempt == ATTEMPTS:
                detail = exc.diag.message_primary if isinstance(exc, psycopg.Error) else f"no object {exc}"
                raise CatalogChanging(
                    f"the catalog of schema {schema!r} changed while it was read, {ATTEMPTS} times in a row "
                    f"({detail}): another session is running DDL; try again once it is done") from None
    raise AssertionError("unreachable")


@contextmanager
def snapshot(conn: psycopg.Connection, schema: str, timeouts: CatalogTimeouts, *,
             imported: str | None = None) -> Iterator[None]:
    """A REPEATABLE READ READ ONLY transaction, always rolled back, with search_path the owned schema only.

    The settings are transaction-local: the caller's session is left as it was. Inside a
    transaction the caller already opened, the read joins it (a savepoint) with its snapshot.
    ``imported``: the id of a snapshot another session exported (``pg_export_snapshot``), so
    that two connections read the same catalog.
    """
    fresh = conn.info.transaction_status == TransactionStatus.IDLE
    try:
        with conn.transaction(force_rollback=True):
            if fresh:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if imported is not None:
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(imported)))
            # jit off: on a large catalog a recursive query's estimate passes jit_above_cost, and compiling it
            # (2.2 s for prerequisites.sql at 1000 tables) costs far more than running it (catalog scans).
            conn.execute(
                "SELECT set_config('transaction_read_only', 'on', true), set_config('search_path', %s, true), "
                "set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true), "
                "set_config('enable_mergejoin', 'off', true), set_config('join_collapse_limit', '1', true), "
                "set_config('from_collapse_limit', '1', true), set_config('jit', 'off', true)",
                (ident.quote_ident(schema), timeouts.lock_timeout, timeouts.statement_timeout))
            yield
    except pg_errors.LockNotAvailable:
        raise CatalogLockTimeout(
            f"reading the catalog of schema {schema!r} waited more than {timeouts.lock_timeout} for a lock held "
            f"by:{_holders(conn, schema)}\nNothing was changed; try again once that session commits or ends."
        ) from None
    except pg_errors.QueryCanceled as exc:
        if "statement timeout" not in (exc.diag.message_primary or ""):
            raise
        raise ExecutionFailed(
            f"reading the catalog of schema {schema!r} took longer than {timeouts.statement_timeout} "
            "(statement_timeout); nothing was changed") from None


def _holders(conn: psycopg.Connection, schema: str) -> str:
    try:
        return describe_blockers(exclusive_holders(conn, schema))
    except psycopg.Error:
        return "\n  - (the session could not be looked up)"
