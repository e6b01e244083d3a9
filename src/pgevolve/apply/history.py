"""The record of every apply, kept in the database it changed (schema ``pgevolve``).

Every stop leaves a truthful row: ``applied``, ``refused`` (nothing changed),
``failed`` (a statement failed; its transaction rolled back, earlier ones stay),
``interrupted`` (Ctrl-C or SIGTERM, recorded by the run itself; or a run that
died without a word, SIGKILL or a lost machine, recorded by the next apply).
A row says which server session ran it (pid and backend start), so the next
apply can tell a run that is still going from one whose session is gone.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import psycopg

from pgevolve.errors import ExecutionFailed
from pgevolve.server.diagnostics import explain
from pgevolve.sqltext.ident import PGEVOLVE_SCHEMA

_CREATE = """
CREATE TABLE IF NOT EXISTS pgevolve.history (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owned_schema     text        NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    db_user          text        NOT NULL DEFAULT current_user,
    plan_fingerprint text        NOT NULL,
    yaml_fingerprint text,
    git_commit       text,
    statements       text        NOT NULL,
    outcome          text        NOT NULL DEFAULT 'running'  -- the values of Outcome
                     CONSTRAINT history_outcome_check
                     CHECK (outcome IN ('running', 'applied', 'failed', 'refused', 'interrupted')),
    error            text,
    duration_ms      bigint,
    pid              integer,
    backend_start    timestamptz
);
"""

# A history table made by an earlier pgevolve: without the session columns and the 'interrupted' outcome.
_UPGRADE = """
ALTER TABLE pgevolve.history
    ADD COLUMN IF NOT EXISTS pid integer,
    ADD COLUMN IF NOT EXISTS backend_start timestamptz,
    DROP CONSTRAINT IF EXISTS history_outcome_check,
    ADD CONSTRAINT history_outcome_check
        CHECK (outcome IN ('running', 'applied', 'failed', 'refused', 'interrupted'));
"""

# Whether the table exists, and is current (it has the session columns). Read from the catalog
# rather than through 'pgevolve.history'::regclass, which needs USAGE on the schema, and before
# any CREATE ... IF NOT EXISTS, which needs CREATE on the database even when the object exists.
_STATE = """
SELECT count(*) > 0, count(*) FILTER (WHERE a.attname IN ('pid', 'backend_start')) = 2
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'pgevolve' AND c.relname = 'history'
"""

# 'running' rows whose session is gone: the process died before it could record how it ended.
# A session of another role shows no backend_start to a role without pg_read_all_stats: a live
# pid is then taken as the same session (never mark a run that may still be going).
_MARK_INTERRUPTED = """
UPDATE pgevolve.history h
SET outcome = 'interrupted', finished_at = clock_timestamp(),
    error = 'the apply ended without recording how (process killed, connection or server lost); '
            || 'marked by apply #' || %(by)s || '. Transactions it committed stay, the one in progress '
            || 'was rolled back; a later apply finishes the plan'
WHERE h.outcome = 'running' AND h.id <> %(by)s
  AND (h.pid IS NOT NULL OR h.owned_schema = %(schema)s)
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = h.pid
                  AND (a.backend_start = h.backend_start OR a.backend_start IS NULL OR h.backend_start IS NULL))
RETURNING h.id
"""


class Outcome(StrEnum):
    """How an apply ended, as the history table stores it."""

    RUNNING = "running"  # started; still running, or the process died before it could record the end
    APPLIED = "applied"
    FAILED = "failed"
    REFUSED = "refused"
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, or found dead (SIGKILL) by the next apply


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    id: int
    owned_schema: str
    started_at: datetime
    finished_at: datetime | None
    db_user: str
    plan_fingerprint: str
    yaml_fingerprint: str | None
    git_commit: str | None
    outcome: Outcome
    error: str | None
    duration_ms: int | None
    statements: str


def ensure_history(conn: psycopg.Connection) -> None:
    """Create the history table on first use, or bring an older one up to date (idempotent).

    Two applies of different schemas may run this at once on a fresh database: CREATE ... IF
    NOT EXISTS is not safe against a concurrent twin (a unique violation in pg_type), so it
    runs under a transaction-level advisory lock of its own.
    """
    if _history_state(conn) == (True, True):
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('pgevolve history', 0))")
        exists, current = _history_state(conn)
        if not exists:
            ensure_pgevolve_schema(conn)
            conn.execute(_CREATE)
        elif not current:
            conn.execute(_UPGRADE)


def ensure_pgevolve_schema(conn: psycopg.Connection) -> None:
    """CREATE SCHEMA pgevolve when it is missing: even with IF NOT EXISTS, CREATE SCHEMA needs CREATE on the
    database, which a role that an owner gave the schema to does not need to have."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", (PGEVOLVE_SCHEMA,)).fetchone()
    if not (row and row[0]):
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgevolve")


def _history_state(conn: psycopg.Connection) -> tuple[bool, bool]:
    row = conn.execute(_STATE).fetchone()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def mark_interrupted(conn: psycopg.Connection, *, by: int, schema: str) -> list[int]:
    """Mark 'running' rows whose session is gone as 'interrupted'; the ids marked.

    Rows of an earlier pgevolve have no session columns: only those of the schema whose
    advisory lock the caller holds are marked (no apply of it can be running).
    """
    rows = conn.execute(_MARK_INTERRUPTED, {"by": by, "schema": schema}).fetchall()
    return [int(r[0]) for r in rows]


def record_start(
    conn: psycopg.Connection, *, schema: str, plan_fingerprint: str, yaml_fingerprint: str | None,
    git_commit: str | None, statements: str,
) -> int:
    """Insert a 'running' row in its own autocommit statement, so even a crash leaves a trace."""
    ensure_history(conn)
    row = conn.execute(
        "INSERT INTO pgevolve.history (owned_schema, plan_fingerprint, yaml_fingerprint, git_commit, statements,"
        " pid, backend_start)"
        " SELECT %s, %s, %s, %s, %s, pg_backend_pid(),"
        " (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) RETURNING id",
        (schema, plan_fingerprint, yaml_fingerprint, git_commit, statements),
    ).fetchone()
    assert row is not None
    return int(row[0])


def record_plan(conn: psycopg.Connection, entry_id: int, *, plan_fingerprint: str, statements: str) -> None:
    """The run planned again (the catalog changed while it waited): the row holds the plan it runs."""
    conn.execute("UPDATE pgevolve.history SET plan_fingerprint = %s, statements = %s WHERE id = %s",
                 (plan_fingerprint, statements, entry_id))


def record_end(conn: psycopg.Connection, entry_id: int, *, outcome: Outcome, error: str | None = None) -> None:
    conn.execute(
        "UPDATE pgevolve.history SET outcome = %s, error = %s, finished_at = clock_timestamp(),"
        " duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint WHERE id = %s",
        (outcome.value, error, entry_id),
    )


def list_history(conn: psycopg.Connection, *, limit: int = 50) -> list[HistoryEntry]:
    """Newest first; empty when pgevolve never applied anything here."""
    if not _history_state(conn)[0]:
        return []
    try:
        rows = conn.execute(
            "SELECT id, owned_schema, started_at, finished_at, db_user, plan_fingerprint, yaml_fingerprint,"
            " git_commit, outcome, error, duration_ms, statements FROM pgevolve.history ORDER BY id DESC LIMIT %s",
            (limit,),
        ).fetchall()
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ExecutionFailed(explain(exc, doing="reading pgevolve.history", role=conn.info.user)
                              + " (GRANT USAGE ON SCHEMA pgevolve and SELECT ON pgevolve.history)") from None
    names = [f for f in HistoryEntry.__dataclass_fields__]
    entries = [HistoryEntry(**dict(zip(names, row, strict=True))) for row in rows]
    return [replace(e, outcome=Outcome(e.outcome)) for e in entries]


def git_commit_of(directory: Path) -> str | None:
    """The commit the schema directory is at, with '+dirty' when it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
