"""apply end to end: lock, check freshness, refuse what is unsafe, pre-check rows, run, record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pgevolve import model
from pgevolve.apply.backfill import BatchCallback
from pgevolve.apply.history import Outcome, git_commit_of, record_end, record_start
from pgevolve.apply.run import ApplyOptions, StepCallback, run_steps
from pgevolve.apply.safety import (
    advisory_lock,
    refuse_blocked,
    refuse_destructive,
    refuse_failures,
    refuse_stale,
    run_prechecks,
)
from pgevolve.apply.saved import plan_fingerprint
from pgevolve.errors import PgevolveError, Refused
from pgevolve.plan.prechecks import prechecks_for
from pgevolve.plan.render import render_sql
from pgevolve.plan.steps import Phase, Plan
from pgevolve.server.connect import Target, connect


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """Everything apply needs: the plan and what it was computed from."""

    plan: Plan
    actual: model.Database  # the catalog the plan was made against
    desired: model.Database
    hints: model.Hints
    schema_dir: Path | None
    yaml_fingerprint: str | None
    saved_fingerprint: str | None = None  # set for a saved plan: the catalog must still match


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployOptions:
    allow_destructive: bool = False
    apply: ApplyOptions = field(default_factory=ApplyOptions)
    lock_wait_seconds: float = 60.0  # how long a second apply waits for the first


def deploy(target: Target, deployment: Deployment, options: DeployOptions,
           *, on_step: StepCallback | None = None, before_run: Callable[[], None] | None = None,
           on_batch: BatchCallback | None = None) -> int:
    """Apply with every safety; returns the history id. Raises Refused (exit 3) or ExecutionFailed."""
    from pgevolve.catalog import introspect
    from pgevolve.diff import diff

    plan = deployment.plan
    refuse_blocked(plan)
    refuse_destructive(plan, allowed=options.allow_destructive)
    with connect(target.dsn) as conn, advisory_lock(conn, deployment.desired.schema,
                                                    wait_seconds=options.lock_wait_seconds):
        if deployment.saved_fingerprint is not None:
            current = introspect(conn, deployment.desired.schema)
            refuse_stale(deployment.actual, current, deployment.saved_fingerprint)
        changes = diff(deployment.actual, deployment.desired, deployment.hints)
        renames = [s.sql for s in plan.steps if s.phase is Phase.RENAMES]
        checks = prechecks_for(changes, deployment.actual, deployment.desired)
        failures = run_prechecks(conn, checks, renames, search_path=deployment.desired.schema)
        entry = record_start(
            conn, schema=deployment.desired.schema, plan_fingerprint=plan_fingerprint(plan),
            yaml_fingerprint=deployment.yaml_fingerprint,
            git_commit=git_commit_of(deployment.schema_dir) if deployment.schema_dir else None,
            statements=render_sql(plan, search_path=deployment.desired.schema),
        )
        if failures:
            record_end(conn, entry, outcome=Outcome.REFUSED, error="pre-checks failed")
            refuse_failures(failures)
        if before_run:
            before_run()
        try:
            apply_options = replace(options.apply, search_path=deployment.desired.schema)
            run_steps(conn, plan, apply_options, on_step=on_step, on_batch=on_batch)
        except (PgevolveError, KeyboardInterrupt) as exc:
            _record_failure(target, entry, exc)
            raise
        record_end(conn, entry, outcome=Outcome.APPLIED)
        return entry


def _record_failure(target: Target, entry: int, exc: BaseException) -> None:
    """Record the failure on a new connection: the apply's own may be the thing that died."""
    outcome = Outcome.REFUSED if isinstance(exc, Refused) else Outcome.FAILED
    try:
        with connect(target.dsn) as conn:
            record_end(conn, entry, outcome=outcome, error=str(exc) or type(exc).__name__)
    except PgevolveError:
        pass  # the server is gone too; the row stays 'running', which says as much
