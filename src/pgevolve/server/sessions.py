"""Who holds the lock pgevolve waits for: the other sessions, named for the DBA who must deal with them.

PostgreSQL's lock_timeout error says only "canceling statement due to lock
timeout"; the session in the way is found in ``pg_locks`` and
``pg_stat_activity``. While a statement waits, ``pg_blocking_pids(pid)`` names
exactly the sessions it waits for, so a watcher on a connection of its own
samples it (``BlockerWatch``); once the wait has ended nothing records it any
more. Catalog reads only ever take ACCESS SHARE locks, which conflict with
ACCESS EXCLUSIVE alone, so their blockers are found after the fact
(``exclusive_holders``).

A role without ``pg_read_all_stats`` sees another user's session without its
query, state and times: the message says so rather than guess.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

_POLL_SECONDS = 0.05
_QUERY_CHARS = 200

_SESSION_COLUMNS = """
a.pid, a.usename, a.application_name, host(a.client_addr), a.state, a.xact_start, a.query_start,
left(a.query, %(chars)s)
"""

# The lock pid waits for, and what each blocking session holds (or waits for ahead of it) on that object.
_BLOCKERS = f"""
WITH waiting AS (
    SELECT * FROM pg_locks WHERE pid = %(pid)s AND NOT granted LIMIT 1
)
SELECT {_SESSION_COLUMNS},
       (SELECT string_agg(DISTINCT l.mode || CASE WHEN l.granted THEN '' ELSE ' (queued ahead)' END, ', ')
        FROM pg_locks l, waiting w
        WHERE l.pid = a.pid AND l.locktype = w.locktype
          AND l.database IS NOT DISTINCT FROM w.database AND l.relation IS NOT DISTINCT FROM w.relation
          AND l.page IS NOT DISTINCT FROM w.page AND l.tuple IS NOT DISTINCT FROM w.tuple
          AND l.virtualxid IS NOT DISTINCT FROM w.virtualxid
          AND l.transactionid IS NOT DISTINCT FROM w.transactionid
          AND l.classid IS NOT DISTINCT FROM w.classid AND l.objid IS NOT DISTINCT FROM w.objid
          AND l.objsubid IS NOT DISTINCT FROM w.objsubid),
       (SELECT CASE WHEN w.locktype = 'relation' THEN w.relation::regclass::text
                    WHEN w.locktype = 'virtualxid' THEN 'its transaction (a CONCURRENTLY build waits for '
                                                        || 'every transaction older than itself)'
                    ELSE w.locktype END
        FROM waiting w)
FROM pg_stat_activity a
WHERE a.pid = ANY (pg_blocking_pids(%(pid)s))
ORDER BY a.xact_start NULLS LAST, a.pid
"""

# Sessions holding ACCESS EXCLUSIVE on a relation of the database (those of `schema` first).
_EXCLUSIVE = f"""
SELECT {_SESSION_COLUMNS}, 'AccessExclusiveLock', string_agg(DISTINCT l.relation::regclass::text, ', ')
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid <> pg_backend_pid() AND l.pid <> ALL (%(exclude)s)
GROUP BY a.pid, a.usename, a.application_name, a.client_addr, a.state, a.xact_start, a.query_start, a.query
ORDER BY bool_or(n.nspname = %(schema)s) DESC, a.xact_start NULLS LAST, a.pid
LIMIT 5
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocker:
    """Another session, as pg_stat_activity shows it, and the lock it holds on what we wait for."""

    pid: int
    user: str | None
    application: str | None
    client: str | None
    state: str | None  # None: hidden from this role
    transaction_start: datetime | None
    query_start: datetime | None
    query: str | None
    modes: str | None  # "AccessExclusiveLock"
    target: str | None  # "leads", or what else is waited for

    def describe(self) -> str:
        """'pid 4242 (user alice, application psql) holds AccessExclusiveLock on leads; ...'."""
        who = [f"user {self.user}" if self.user else None,
               f"application {self.application!r}" if self.application else None,
               f"client {self.client}" if self.client else None]
        text = f"session pid {self.pid} ({', '.join(w for w in who if w) or 'details hidden'})"
        if self.modes:
            text += f" holds {self.modes}" + (f" on {self.target}" if self.target else "")
        if self.state is None and self.query is None:
            return text + "; its state and query are hidden from this role (grant it pg_read_all_stats to see them)"
        if self.transaction_start:
            text += f"; its transaction began {self.transaction_start:%Y-%m-%d %H:%M:%S%z}"
        if self.state:
            text += f", state {self.state}"
        if self.query:
            started = f" (started {self.query_start:%H:%M:%S})" if self.query_start else ""
            text += f", last query{started}: {' '.join(self.query.split())}"
        return text


def describe_blockers(blockers: list[Blocker], indent: str = "  ") -> str:
    """One '- ...' line per blocking session (each begins with a newline), or a note that none was seen."""
    if not blockers:
        return (f"\n{indent}- (the session in the way had gone by the time pgevolve looked; "
                "pg_locks and pg_stat_activity show it while it waits)")
    return "".join(f"\n{indent}- {b.describe()}" for b in blockers)


def _blocker(row: tuple[Any, ...]) -> Blocker:
    pid, user, application, client, state, xact_start, query_start, query, modes, target = row
    return Blocker(pid=int(pid), user=user, application=application or None, client=client, state=state,
                   transaction_start=xact_start, query_start=query_start, query=query, modes=modes, target=target)


def blocking_sessions(conn: psycopg.Connection, pid: int) -> list[Blocker]:
    """The sessions that session ``pid`` waits for right now (empty when it waits for none)."""
    rows = conn.execute(_BLOCKERS, {"pid": pid, "chars": _QUERY_CHARS}).fetchall()
    return [_blocker(row) for row in rows]


def exclusive_holders(conn: psycopg.Connection, schema: str, *, exclude: tuple[int, ...] = ()) -> list[Blocker]:
    """Sessions holding ACCESS EXCLUSIVE on a relation: the only lock a catalog read can wait for."""
    rows = conn.execute(_EXCLUSIVE, {"schema": schema, "exclude": list(exclude),
                                     "chars": _QUERY_CHARS}).fetchall()
    return [_blocker(row) for row in rows]


def leave_signals_to_the_main_thread() -> None:
    """Block Ctrl-C and SIGTERM in the calling helper thread.

    The kernel delivers a signal sent to the process to any thread that does not block it.
    Python runs its handler in the main thread, but only a signal that lands there interrupts
    the main thread's blocking read: one taken by a helper thread would leave apply waiting at
    its question until the next key.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class BlockerWatch:
    """Samples, on a connection of its own, the sessions that the watched one waits for.

    ``blockers`` is the last non-empty sample: after a lock timeout it names who held the
    lock. Never lets its own trouble disturb the watched session: a failed connection
    just leaves the list empty.

    The connection is opened only after ``grace`` seconds: most applies are over before then,
    and a session opened and polled for nothing is a server backend's work for nothing (a test
    suite makes thousands of applies). The grace is at most a quarter of the session's lock_timeout
    (``watch_grace``): a statement that times out on a lock is still waiting when the watch samples.
    """

    def __init__(self, dsn: str, pid: int, *, grace: float = 0.0) -> None:
        self.dsn, self.pid, self.grace = dsn, pid, grace
        self.blockers: list[Blocker] = []
        self.connected = False  # whether the watch ever opened its connection
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pgevolve-blocker-watch")

    def __enter__(self) -> BlockerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def forget(self) -> None:
        """Start a new wait: what blocked an earlier statement is not this one's story."""
        self.blockers = []

    def _run(self) -> None:
        leave_signals_to_the_main_thread()
        if self._stop.wait(self.grace):
            return
        try:
            with psycopg.connect(self.dsn, autocommit=True, application_name="pgevolve lock watch",
                                 connect_timeout=10) as conn:
                self.connected = True
                while not self._stop.wait(_POLL_SECONDS):
                    found = blocking_sessions(conn, self.pid)
                    if found:
                        self.blockers = found
        except psycopg.Error:
            return


GRACE_SECONDS = 0.2


def watch_grace(conn: psycopg.Connection) -> float:
    """How long a BlockerWatch of ``conn`` may wait before it connects: 0.2 s, or a quarter of the
    session's lock_timeout when that is shorter, so that a statement which times out on a lock has
    been sampled while it waited (lock_timeout 0, no limit, leaves the 0.2 s)."""
    row = conn.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout'").fetchone()
    limit_ms = int(row[0]) if row else 0
    return min(GRACE_SECONDS, limit_ms / 4000) if limit_ms > 0 else GRACE_SECONDS
