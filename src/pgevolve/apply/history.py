"""The record of every apply, kept in the database it changed (schema ``pgevolve``)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import psycopg

_CREATE = """
CREATE SCHEMA IF NOT EXISTS pgevolve;
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
                     CHECK (outcome IN ('running', 'applied', 'failed', 'refused')),
    error            text,
    duration_ms      bigint
);
"""


class Outcome(StrEnum):
    """How an apply ended, as the history table stores it."""

    RUNNING = "running"  # started; still running, or the process died before it could record the end
    APPLIED = "applied"
    FAILED = "failed"
    REFUSED = "refused"


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
    """Create the history table on first use (idempotent)."""
    conn.execute(_CREATE)


def record_start(
    conn: psycopg.Connection, *, schema: str, plan_fingerprint: str, yaml_fingerprint: str | None,
    git_commit: str | None, statements: str,
) -> int:
    """Insert a 'running' row in its own autocommit statement, so even a crash leaves a trace."""
    ensure_history(conn)
    row = conn.execute(
        "INSERT INTO pgevolve.history (owned_schema, plan_fingerprint, yaml_fingerprint, git_commit, statements)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (schema, plan_fingerprint, yaml_fingerprint, git_commit, statements),
    ).fetchone()
    assert row is not None
    return int(row[0])


def record_end(conn: psycopg.Connection, entry_id: int, *, outcome: Outcome, error: str | None = None) -> None:
    conn.execute(
        "UPDATE pgevolve.history SET outcome = %s, error = %s, finished_at = clock_timestamp(),"
        " duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint WHERE id = %s",
        (outcome.value, error, entry_id),
    )


def list_history(conn: psycopg.Connection, *, limit: int = 50) -> list[HistoryEntry]:
    """Newest first; empty when pgevolve never applied anything here."""
    exists = conn.execute("SELECT to_regclass('pgevolve.history') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT id, owned_schema, started_at, finished_at, db_user, plan_fingerprint, yaml_fingerprint,"
        " git_commit, outcome, error, duration_ms, statements FROM pgevolve.history ORDER BY id DESC LIMIT %s",
        (limit,),
    ).fetchall()
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
