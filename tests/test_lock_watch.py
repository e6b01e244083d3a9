"""The blocker watch of an apply: no connection for an apply that is over within its grace, and still the
session in the way named when a statement times out on a lock (server/sessions.BlockerWatch)."""

from __future__ import annotations

import time

import psycopg
import pytest

from pgevolve.server.sessions import GRACE_SECONDS, BlockerWatch, watch_grace


def test_a_watch_stopped_within_its_grace_never_connects(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        with BlockerWatch(db, conn.info.backend_pid, grace=GRACE_SECONDS) as watch:
            conn.execute("SELECT 1")
        assert not watch.connected
        with BlockerWatch(db, conn.info.backend_pid, grace=0.0) as watch:
            time.sleep(0.3)
        assert watch.connected


def test_the_grace_is_a_quarter_of_a_short_lock_timeout(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        assert watch_grace(conn) == GRACE_SECONDS  # lock_timeout 0: no limit
        conn.execute("SET lock_timeout = '100ms'")
        assert watch_grace(conn) == 0.025
        conn.execute("SET lock_timeout = '1min'")
        assert watch_grace(conn) == GRACE_SECONDS


def test_a_lock_wait_within_a_short_timeout_names_its_blocker(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as holder, psycopg.connect(db, autocommit=True) as waiter:
        holder.execute("CREATE TABLE t (id int)")
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        waiter.execute("SET lock_timeout = '400ms'")
        grace = watch_grace(waiter)
        with BlockerWatch(db, waiter.info.backend_pid, grace=grace) as watch, \
                pytest.raises(psycopg.errors.LockNotAvailable):
            waiter.execute("SELECT * FROM t")
        holder.execute("ROLLBACK")
        assert [b.pid for b in watch.blockers] == [holder.info.backend_pid]
