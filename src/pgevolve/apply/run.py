"""The one place that changes a database: runs a plan's steps.

Transactional steps run in transactions (the plan groups them so a huge plan
does not exhaust the lock table); CONCURRENTLY steps run alone, outside any
transaction, and are made idempotent so a rerun after an interruption finishes
the job. Every statement runs under ``lock_timeout``: when the lock is not
granted (another session holds it), the statement is retried after a pause
with jitter instead of queueing every other query behind it, and when it never
is, the error names the session that held it.

What is atomic is each transaction, not the plan: a failure names the step and
its statement, and says which steps were committed before it. The plan is
resumable: the next apply plans again from the catalog and does what is left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pg_errors

from pgevolve.apply.backfill import BatchCallback, BatchOptions, run_batched
from pgevolve.errors import ExecutionFailed
from pgevolve.plan.steps import Plan, Step
from pgevolve.server.connect import connect
from pgevolve.server.diagnostics import server_message
from pgevolve.server.sessions import BlockerWatch, describe_blockers
from pgevolve.sqltext.ident import qualify, quote_ident

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


class StepFailed(ExecutionFailed):
    """A step failed: the message names it, its statement, the server's error and what was committed."""


@dataclass(slots=True)
class RunState:
    """Where a run is: the step running (1-based), the steps committed, the running step's transaction."""

    total: int
    current: int = 0
    current_step: Step | None = None
    committed: int = 0
    group: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)  # what cleanup did or could not do
    search_path: str | None = None  # the schema the session's search_path names now

    def committed_text(self) -> str:
        """'Steps 1-4 of 9 are committed; step 5 (its transaction: steps 5-7) was rolled back.'"""
        done = ("No step was committed" if self.committed == 0 else
                f"Step 1 of {self.total} is committed" if self.committed == 1 else
                f"Steps 1-{self.committed} of {self.total} are committed")
        first, last = self.group
        if self.current_step is None:
            return done + "."
        if self.current_step.batch is not None:
            undone = f"step {self.current} keeps the batches it finished"
        elif last > first:
            undone = f"step {self.current} and its transaction (steps {first}-{last}) were rolled back"
        else:
            undone = f"step {self.current} was rolled back"
        return f"{done}; {undone}."

    def where(self) -> str:
        step = self.current_step
        return f"step {self.current} of {self.total}" + (f" ({step.summary})" if step and step.summary else "")


def execute_plan(dsn: str, plan: Plan, options: ApplyOptions | None = None,
                 *, on_step: StepCallback | None = None, on_batch: BatchCallback | None = None) -> None:
    """Run every step of ``plan`` against ``dsn``; raise ExecutionFailed on the first failure."""
    with connect(dsn) as conn:
        run_steps(conn, plan, options or ApplyOptions(), on_step=on_step, on_batch=on_batch)


def run_steps(conn: psycopg.Connection, plan: Plan, options: ApplyOptions,
              *, on_step: StepCallback | None = None, on_batch: BatchCallback | None = None,
              watch: BlockerWatch | None = None, state: RunState | None = None) -> None:
    """Run the plan's groups on an open autocommit connection.

    ``watch`` names the session that holds a lock a statement waits for; ``state`` is
    kept up to date for the caller (what to say when the run is interrupted).
    """
    state = state or RunState(total=len(plan.steps))
    set_session(conn, options)
    state.search_path = options.search_path
    for group in plan.groups():
        state.group = (state.current + 1, state.current + len(group.steps))
        if group.transactional:
            with _reported(state), conn.transaction():
                for step in group.steps:
                    _begin(state, step, on_step, watch)
                    _use_schema(conn, step, options, state)
                    _run_with_retry(conn, step, options, watch, in_transaction=True)
        else:
            for step in group.steps:
                _begin(state, step, on_step, watch)
                _use_schema(conn, step, options, state)
                with _reported(state):
                    if step.batch is not None:
                        run_batched(conn, step, options.batches(), on_batch=on_batch)
                    else:
                        _run_outside_transaction(conn, step, options, watch, state)
        state.committed, state.current_step = state.current, None


def _begin(state: RunState, step: Step, on_step: StepCallback | None, watch: BlockerWatch | None) -> None:
    state.current += 1
    state.current_step = step
    if watch is not None:
        watch.forget()
    if on_step:
        on_step(state.current, step)


def _use_schema(conn: psycopg.Connection, step: Step, options: ApplyOptions, state: RunState) -> None:
    """search_path the step's own schema (a project with several owned schemas), as its text was read."""
    wanted = step.schema or options.search_path
    if wanted and wanted != state.search_path:
        conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(wanted),))
        state.search_path = wanted


def set_session(conn: psycopg.Connection, options: ApplyOptions) -> None:
    """The session settings every statement of apply runs under (pre-checks included)."""
    if options.search_path:
        conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(options.search_path),))
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (options.lock_timeout,))
    conn.execute("SELECT set_config('statement_timeout', %s, false)", (options.statement_timeout or "0",))


class _LockTimeout(Exception):
    def __init__(self, attempts: int, timeout: str, blockers: str) -> None:
        self.attempts, self.timeout, self.blockers = attempts, timeout, blockers


def _run_with_retry(conn: psycopg.Connection, step: Step, options: ApplyOptions, watch: BlockerWatch | None,
                    *, in_transaction: bool, before_retry: Callable[[], None] | None = None) -> None:
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
                blockers = describe_blockers(watch.blockers) if watch is not None else " (no watcher to name it)"
                raise _LockTimeout(attempt, options.lock_timeout, blockers) from None
            time.sleep(options.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            if before_retry:
                before_retry()


def _built_index(step: Step, options: ApplyOptions) -> str | None:
    """The qualified name of the index a CREATE INDEX CONCURRENTLY step builds (its ``object``)."""
    if step.kind != "create_index_concurrently":
        return None
    return qualify(step.schema or options.search_path, step.object)


def _run_outside_transaction(conn: psycopg.Connection, step: Step, options: ApplyOptions,
                             watch: BlockerWatch | None, state: RunState) -> None:
    """CREATE INDEX CONCURRENTLY and friends, made safe to rerun.

    A concurrent build that fails or is interrupted leaves an INVALID index
    behind under the same name; drop it first so the rebuild can proceed, and
    skip the build when a valid index already exists (a rerun after success).
    Whatever way the build fails (an error, a lock timeout, Ctrl-C), its INVALID
    index is dropped before the error goes up.
    """
    index = _built_index(step, options)
    if index is not None:
        state_row = conn.execute("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)",
                                 (index,)).fetchone()
        if state_row is not None and state_row[0]:
            return
        if state_row is not None:
            conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")
    # A concurrent build whose wait for older transactions timed out has already created
    # its (INVALID) index: drop it before the next try, or that try fails with "already exists".
    def cleanup() -> None:
        if index is not None:
            _drop_invalid_index(conn, index)

    try:
        _run_with_retry(conn, step, options, watch, in_transaction=False, before_retry=cleanup)
    except BaseException:
        if index is not None and not _drop_invalid_index(conn, index):
            state.notes.append(f"The INVALID index {index} left by the failed build could not be dropped now; "
                               "the next apply drops and rebuilds it.")
        raise


def _drop_invalid_index(conn: psycopg.Connection, qualified: str) -> bool:
    """Drop the index if it is INVALID; whether none is left behind."""
    try:
        state = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
                             (qualified,)).fetchone()
        if state is not None and not state[0]:
            conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
        return True
    except psycopg.Error:
        return False  # the connection itself may be gone, or the drop waits on the same blocker


@contextmanager
def _reported(state: RunState) -> Iterator[None]:
    """A failure of the running step becomes StepFailed: which step, its statement, why, and what stays."""
    try:
        yield
    except _LockTimeout as exc:
        step = state.current_step
        assert step is not None
        raise LockNotGranted(_failure_text(
            state, f"lock not granted within {exc.timeout} after {exc.attempts} tries, held by:{exc.blockers}"),
            sql=step.sql) from None
    except psycopg.Error as exc:
        step = state.current_step
        if step is None:
            raise
        raise StepFailed(_failure_text(state, _server_text(exc)), sql=step.sql) from None


def _server_text(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return ("the connection to the database was lost; PostgreSQL rolled back the open transaction, "
                "so its steps did not happen")
    return server_message(exc)


def _failure_text(state: RunState, why: str) -> str:
    step = state.current_step
    assert step is not None
    statement = " ".join(step.sql.split())
    lines = [f"{state.where()} failed: {why}", f"  statement: {statement}", f"  {state.committed_text()}",
             *(f"  {note}" for note in state.notes),
             "  Each transaction is all-or-nothing, the plan is not; it is resumable: once the cause is dealt "
             "with, run apply again and it does what is left."]
    return "\n".join(lines)
