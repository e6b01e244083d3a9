"""The one place that changes a database: runs a plan's steps.

Transactional steps run in transactions (the plan groups them so a huge plan
does not exhaust the lock table); CONCURRENTLY steps run alone, outside any
transaction, and are made idempotent so a rerun after an interruption finishes
the job. Every statement runs under ``lock_timeout``: when the lock is not
granted (another session holds it), the statement is retried after a pause
with jitter instead of queueing every other query behind it.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from pgevolve.apply.backfill import BatchCallback, BatchOptions, run_batched
from pgevolve.errors import ExecutionFailed
from pgevolve.plan.steps import Plan, Step
from pgevolve.server.connect import connect, mask_password
from pgevolve.sqltext.ident import quote_ident

_BATCH = BatchOptions()


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyOptions:
    lock_timeout: str = "5s"
    statement_timeout: str | None = None  # None: no limit (index builds on big tables take long)
    lock_attempts: int = 5  # tries per statement when its lock is not granted in time
    retry_delay: float = 1.0  # base pause between tries, doubled each time, with jitter
    # The owned schema: unqualified names in defaults, CHECKs and index expressions must
    # resolve as they do when the catalog is read (introspection uses the same search_path).
    search_path: str | None = None
    batch_size: int = _BATCH.batch_size  # the largest batch of a backfill (rows)
    batch_time: float = _BATCH.target  # seconds a batch should take; 0: every batch has batch_size rows
    batch_pause: float = _BATCH.pause  # seconds between two batches

    def batches(self) -> BatchOptions:
        return BatchOptions(batch_size=self.batch_size, target=self.batch_time, pause=self.batch_pause,
                            attempts=self.lock_attempts, retry_delay=self.retry_delay)


StepCallback = Callable[[int, Step], None]


class LockNotGranted(ExecutionFailed):
    """A statement's lock was not granted within lock_timeout, on every try."""


def execute_plan(dsn: str, plan: Plan, options: ApplyOptions | None = None,
                 *, on_step: StepCallback | None = None, on_batch: BatchCallback | None = None) -> None:
    """Run every step of ``plan`` against ``dsn``; raise ExecutionFailed on the first failure."""
    with connect(dsn) as conn:
        run_steps(conn, plan, options or ApplyOptions(), on_step=on_step, on_batch=on_batch)


def run_steps(conn: psycopg.Connection, plan: Plan, options: ApplyOptions,
              *, on_step: StepCallback | None = None, on_batch: BatchCallback | None = None) -> None:
    """Run the plan's groups on an open autocommit connection."""
    _set_timeouts(conn, options)
    number = 0
    for group in plan.groups():
        if group.transactional:
            with _translated(), conn.transaction():
                for step in group.steps:
                    number += 1
                    if on_step:
                        on_step(number, step)
                    _run_with_retry(conn, step, options, in_transaction=True)
        else:
            for step in group.steps:
                number += 1
                if on_step:
                    on_step(number, step)
                with _translated():
                    if step.batch is not None:
                        run_batched(conn, step, options.batches(), on_batch=on_batch)
                    else:
                        _run_outside_transaction(conn, step, options)


def _set_timeouts(conn: psycopg.Connection, options: ApplyOptions) -> None:
    if options.search_path:
        conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(options.search_path),))
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (options.lock_timeout,))
    conn.execute("SELECT set_config('statement_timeout', %s, false)", (options.statement_timeout or "0",))


def _run_with_retry(conn: psycopg.Connection, step: Step, options: ApplyOptions, *, in_transaction: bool,
                    before_retry: Callable[[], None] | None = None) -> None:
    for attempt in range(1, options.lock_attempts + 1):
        try:
            if in_transaction:
                with conn.transaction():  # a savepoint: a lock timeout undoes only this statement
                    conn.execute(step.sql)
            else:
                conn.execute(step.sql)
            return
        except pg_errors.LockNotAvailable:
            if attempt == options.lock_attempts:
                raise LockNotGranted(
                    f"step '{step.kind}' on {step.object}: lock not granted within {options.lock_timeout} "
                    f"after {attempt} tries; another session holds a conflicting lock",
                    sql=step.sql,
                ) from None
            time.sleep(options.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            if before_retry:
                before_retry()


_INDEX_NAME = re.compile(r'INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>"(?:[^"]|"")+")\s+ON\s+'
                         r'(?P<schema>"(?:[^"]|"")+")\.', re.IGNORECASE)


def _run_outside_transaction(conn: psycopg.Connection, step: Step, options: ApplyOptions) -> None:
    """CREATE INDEX CONCURRENTLY and friends, made safe to rerun.

    A concurrent build that fails or is interrupted leaves an INVALID index
    behind under the same name; drop it first so the rebuild can proceed, and
    skip the build when a valid index already exists (a rerun after success).
    """
    target = _INDEX_NAME.search(step.sql) if step.sql.lstrip().upper().startswith("CREATE") else None
    if target:
        qualified = f"{target['schema']}.{target['name']}"
        state = conn.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (qualified,)
        ).fetchone()
        if state is not None and state[0]:
            return
        if state is not None:
            conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
    # A concurrent build whose wait for older transactions timed out has already created
    # its (INVALID) index: drop it before the next try, or that try fails with "already exists".
    cleanup = (lambda: _drop_invalid_index(conn, f"{target['schema']}.{target['name']}")) if target else None
    try:
        _run_with_retry(conn, step, options, in_transaction=False, before_retry=cleanup)
    except ExecutionFailed:
        raise
    except psycopg.Error:
        if target:  # do not leave the INVALID index of this failed build behind
            qualified = f"{target['schema']}.{target['name']}"
            _drop_invalid_index(conn, qualified)
        raise


def _drop_invalid_index(conn: psycopg.Connection, qualified: str) -> None:
    try:
        state = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
                             (qualified,)).fetchone()
        if state is not None and not state[0]:
            conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
    except psycopg.Error:
        pass  # the connection itself may be gone; the next plan reports the INVALID index


class _translated:
    """Turn server errors into ExecutionFailed with the statement and a clean message."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, ExecutionFailed) or not isinstance(exc, psycopg.Error):
            return
        raise ExecutionFailed(_describe(exc), sql=getattr(exc, "_pgevolve_sql", None)) from None


def _describe(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return ("the connection to the database was lost; PostgreSQL rolled back the open transaction, "
                "so its steps did not happen: run apply again")
    diag = exc.diag
    text = diag.message_primary or str(exc)
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return mask_password(f"{exc.sqlstate or ''} {text}".strip())
