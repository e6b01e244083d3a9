"""apply end to end: record, refuse what is unsafe, lock, check freshness, pre-check rows, confirm, run.

The order is the contract: every refusal (blocked, destructive, stale, rows that
would break a step) is reported before the question "Apply these steps?", and
every stop leaves a history row that says how it ended (``apply.history``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from pgevolve.apply.backfill import BatchCallback
from pgevolve.apply.history import Outcome, git_commit_of, mark_interrupted, record_end, record_plan, record_start
from pgevolve.apply.run import ApplyOptions, RunState, StepCallback, run_steps, set_session
from pgevolve.apply.safety import (
    advisory_lock,
    refuse_blocked,
    refuse_destructive,
    refuse_failures,
    run_prechecks,
    stale_text,
)
from pgevolve.apply.saved import plan_fingerprint
from pgevolve.catalog import CatalogTimeouts, read_catalog
from pgevolve.catalog.fingerprint import schemas_fingerprints
from pgevolve.errors import ExecutionFailed, Interrupted, PgevolveError, Refused
from pgevolve.plan.render import render_sql
from pgevolve.plan.steps import Phase, Plan
from pgevolve.server.connect import Target, connect
from pgevolve.server.diagnostics import explain
from pgevolve.server.sessions import BlockerWatch, describe_blockers, watch_grace

REPLANS = 3  # plans made again, at most, when the catalog keeps changing while apply waits


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """Everything apply needs: the plan, its owned schema and the catalog it was made against."""

    plan: Plan
    schema: str
    catalog_objects: dict[str, str]  # catalog.fingerprint.object_fingerprints at planning time
    schema_dir: Path | None
    yaml_fingerprint: str | None
    saved: bool = False  # a plan file: applied exactly as saved, or refused when the catalog changed
    others: tuple[str, ...] = ()  # the project's other owned schemas: their catalogs are checked too

    @classmethod
    def of(cls, planned: Any, *, schema_dir: Path | None = None) -> Deployment:
        """From a ``pipeline.Planned``."""
        from pgevolve.apply.codec import fingerprint

        return cls(plan=planned.plan, schema=planned.desired.schema, catalog_objects=planned.catalog_objects,
                   schema_dir=schema_dir, yaml_fingerprint=fingerprint(planned.compiled.desired),
                   others=planned.schemas[1:])


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployOptions:
    allow_destructive: bool = False
    apply: ApplyOptions = field(default_factory=ApplyOptions)
    lock_wait_seconds: float = 60.0  # how long a second apply waits for the first


@dataclass(frozen=True, slots=True, kw_only=True)
class Hooks:
    """How apply talks to whoever runs it; every hook is optional."""

    # Called once nothing refuses the plan, before any DDL; raises Refused to stop (a "no" at the prompt).
    confirm: Callable[[Plan], None] | None = None
    # The catalog changed since the plan was made: plan again from the YAML. None: refuse (exit 3).
    replan: Callable[[], Deployment] | None = None
    on_replan: Callable[[Deployment, str], None] | None = None  # the new deployment, what changed
    on_step: StepCallback | None = None
    on_batch: BatchCallback | None = None
    before_run: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    entry: int  # the history row
    plan: Plan  # the plan that ran: another one when apply planned again (possibly empty)


def deploy(target: Target, deployment: Deployment, options: DeployOptions, hooks: Hooks | None = None) -> Applied:
    """Apply with every safety. Raises Refused (exit 3), ExecutionFailed or Interrupted."""
    hooks = hooks or Hooks()
    state = RunState(total=len(deployment.plan.steps))
    with connect(target.dsn) as conn, _sigterm_as_interrupt():
        set_session(conn, replace(options.apply, search_path=deployment.schema))
        _check_dead_clients(conn)
        entry = _record_start(conn, deployment)
        try:
            with BlockerWatch(target.dsn, conn.info.backend_pid, grace=watch_grace(conn)) as watch:
                ran = _deploy(conn, entry, deployment, options, hooks, watch, state)
        except Refused as exc:
            _record_end(target, conn, entry, Outcome.REFUSED, str(exc))
            raise
        except KeyboardInterrupt:
            error = Interrupted(_interrupted_text(state))
            _record_end(target, conn, entry, Outcome.INTERRUPTED, str(error))
            raise error from None
        except PgevolveError as exc:
            _record_end(target, conn, entry, Outcome.FAILED, str(exc))
            raise
        except psycopg.Error as exc:
            failed = ExecutionFailed(explain(exc, doing="apply"))
            _record_end(target, conn, entry, Outcome.FAILED, str(failed))
            raise failed from None
        record_end(conn, entry, outcome=Outcome.APPLIED)
        return Applied(entry=entry, plan=ran)


def _deploy(conn: psycopg.Connection, entry: int, deployment: Deployment, options: DeployOptions, hooks: Hooks,
            watch: BlockerWatch, state: RunState) -> Plan:
    _refuse_unsafe(deployment.plan, options)
    with advisory_lock(conn, deployment.schema, wait_seconds=options.lock_wait_seconds):
        mark_interrupted(conn, by=entry, schema=deployment.schema)
        deployment = _fresh(conn, entry, deployment, options, hooks)
        plan = deployment.plan
        if plan.is_empty:
            return plan
        state.total = len(plan.steps)
        _precheck(conn, deployment, watch)
        if hooks.confirm:
            hooks.confirm(plan)
        if hooks.before_run:
            hooks.before_run()
        apply_options = replace(options.apply, search_path=deployment.schema)
        run_steps(conn, plan, apply_options, on_step=hooks.on_step, on_batch=hooks.on_batch, watch=watch,
                  state=state)
        return plan


def _refuse_unsafe(plan: Plan, options: DeployOptions) -> None:
    refuse_blocked(plan)
    refuse_destructive(plan, allowed=options.allow_destructive)


def _fresh(conn: psycopg.Connection, entry: int, deployment: Deployment, options: DeployOptions,
           hooks: Hooks) -> Deployment:
    """The deployment to run, now that no other apply runs: the same when the catalog is as planned.

    Another apply may have run while this one waited for the advisory lock, or someone ran DDL
    since the plan was made. A saved plan is then refused (it is exact or nothing); a plan made
    from the YAML is made again, and its refusals checked again.
    """
    timeouts = CatalogTimeouts(lock_timeout=options.apply.lock_timeout)
    for _ in range(REPLANS + 1):
        catalogs = [read_catalog(conn, s, timeouts=timeouts) for s in (deployment.schema, *deployment.others)]
        found = schemas_fingerprints([(c.database, c.unmanaged) for c in catalogs])
        changed = stale_text(deployment.catalog_objects, found)
        if changed is None:
            return deployment
        if deployment.saved or hooks.replan is None:
            raise Refused(f"the database changed since this plan was made; plan again. What changed:\n{changed}")
        deployment = hooks.replan()
        record_plan(conn, entry, plan_fingerprint=plan_fingerprint(deployment.plan),
                    statements=render_sql(deployment.plan, search_path=deployment.schema))
        if hooks.on_replan:
            hooks.on_replan(deployment, changed)
        _refuse_unsafe(deployment.plan, options)
    raise Refused(f"the database kept changing while apply planned again ({REPLANS} times); nothing was changed")


def _precheck(conn: psycopg.Connection, deployment: Deployment, watch: BlockerWatch) -> None:
    """Count the rows that would break a step, before any DDL; refuse with the counts (exit 3)."""
    renames = [s.sql for s in deployment.plan.steps if s.phase is Phase.RENAMES]
    watch.forget()
    try:
        failures = run_prechecks(conn, deployment.plan.prechecks, renames, search_path=deployment.schema)
    except pg_errors.LockNotAvailable:
        raise ExecutionFailed(f"the pre-checks could not read the tables: a lock was not granted in time, held "
                              f"by:{describe_blockers(watch.blockers)}\nNothing was changed.") from None
    refuse_failures(failures)


def _record_start(conn: psycopg.Connection, deployment: Deployment) -> int:
    try:
        return record_start(
            conn, schema=deployment.schema, plan_fingerprint=plan_fingerprint(deployment.plan),
            yaml_fingerprint=deployment.yaml_fingerprint,
            git_commit=git_commit_of(deployment.schema_dir) if deployment.schema_dir else None,
            statements=render_sql(deployment.plan, search_path=deployment.schema),
        )
    except psycopg.Error as exc:
        hint = (" (apply records every run in pgevolve.history: the first one needs CREATE on the database, or an "
                f"owner runs CREATE SCHEMA pgevolve AUTHORIZATION {conn.info.user}; later ones need USAGE on the "
                "schema pgevolve and INSERT, UPDATE on its tables)"
                if isinstance(exc, pg_errors.InsufficientPrivilege) else "")
        raise ExecutionFailed(explain(exc, doing="recording the apply in pgevolve.history", role=conn.info.user)
                              + hint + ". Nothing was changed.") from None


def _record_end(target: Target, conn: psycopg.Connection, entry: int, outcome: Outcome, error: str) -> None:
    """Record how the run ended; on a new connection when the apply's own is broken or gone."""
    for attempt in ("same", "new"):
        try:
            if attempt == "same":
                if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    continue
                record_end(conn, entry, outcome=outcome, error=error)
            else:
                with connect(target.dsn) as fresh:
                    record_end(fresh, entry, outcome=outcome, error=error)
            return
        except (psycopg.Error, PgevolveError):
            continue
    # The server is gone too: the row stays 'running' until the next apply marks it interrupted.


def _interrupted_text(state: RunState) -> str:
    if state.current_step is None and state.committed == 0:
        return "interrupted before any step ran; nothing was changed"
    where = state.where() if state.current_step is not None else f"after step {state.committed} of {state.total}"
    return (f"interrupted during {where}. {state.committed_text()} "
            "The plan is resumable: run apply again to finish it.")


def _check_dead_clients(conn: psycopg.Connection) -> None:
    """Have the server notice within a second that this process died (PostgreSQL 14+).

    Without it, a backend whose client was killed keeps waiting for its lock, or keeps
    building an index, until the statement ends: it would hold the advisory lock meanwhile.
    """
    if conn.info.server_version >= 140000:
        conn.execute("SELECT set_config('client_connection_check_interval', '1s', false)")


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a pod stopped) stops apply as Ctrl-C does: recorded as interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
