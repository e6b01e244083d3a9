"""What apply checks before it changes anything: one applier at a time, a fresh plan,
no data loss without consent, and no step that existing rows would break."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from pgevolve.catalog.fingerprint import changed_objects
from pgevolve.errors import ExecutionFailed, Refused
from pgevolve.plan.steps import Hazard, Plan, Precheck
from pgevolve.sqltext.ident import quote_ident


@contextmanager
def advisory_lock(conn: psycopg.Connection, schema: str, *, wait_seconds: float) -> Iterator[None]:
    """Serialize applies per database and owned schema; give up after wait_seconds.

    A session-level advisory lock is released by the server if the connection
    dies, so a crashed apply never blocks the next one.
    """
    key = f"pgevolve apply {schema}"
    deadline = time.monotonic() + wait_seconds
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)).fetchone()
        if row and row[0]:
            break
        if time.monotonic() >= deadline:
            raise Refused(
                f"another pgevolve apply is running on this database (schema {schema!r}); "
                f"waited {wait_seconds:.0f}s for it to finish"
            )
        time.sleep(0.2)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))


def refuse_destructive(plan: Plan, *, allowed: bool) -> None:
    """Steps that lose data, or drop an index or constraint only the database has, need --allow-destructive."""
    refused = [s for s in plan.steps if s.hazard.needs_consent]
    if refused and not allowed:
        lines = "\n".join(f"  - [{s.hazard.value}] {s.summary}: {s.reason}" for s in refused)
        what = " and ".join(sorted({"loses data" if s.hazard is Hazard.DESTRUCTIVE else
                                    "drops indexes or constraints that only the database has" for s in refused}))
        raise Refused(f"the plan {what}; rerun with --allow-destructive to accept:\n{lines}")


def refuse_blocked(plan: Plan) -> None:
    """An unmanaged object that PostgreSQL would not let a step past: refuse before running anything."""
    if plan.blockers:
        lines = "\n".join(f"  - {text}" for text in plan.blockers)
        raise Refused(f"the plan is blocked by objects pgevolve does not manage; nothing was changed:\n{lines}")


def stale_text(planned_against: dict[str, str], current: dict[str, str]) -> str | None:
    """What changed in the catalog since the plan was made, one object a line; None when nothing did."""
    changed = changed_objects(planned_against, current)
    return "\n".join(f"  - {line}" for line in changed) if changed else None


def refuse_stale(planned_against: dict[str, str], current: dict[str, str]) -> None:
    """A saved plan applies only to the catalog it was planned against (compared object by object)."""
    changed = stale_text(planned_against, current)
    if changed is not None:
        raise Refused(f"the database changed since this plan was made; plan again. What changed:\n{changed}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    check: Precheck
    count: int
    examples: tuple[str, ...]


def run_prechecks(conn: psycopg.Connection, checks: Sequence[Precheck], rename_sql: Sequence[str],
                  *, search_path: str | None = None) -> list[Failure]:
    """Run every check in one transaction that is rolled back; renames first, so names match.

    ``search_path``: the owned schema, as the steps run: CHECK expressions read from the catalog
    name its types and functions unqualified.
    """
    failures: list[Failure] = []
    with conn.transaction(force_rollback=True):
        if search_path:
            conn.execute("SELECT set_config('search_path', %s, true)", (quote_ident(search_path),))
        for sql in rename_sql:
            conn.execute(sql)
        for check in checks:
            where = check.schema or search_path
            if where:  # a check of another owned schema reads its own schema's names
                conn.execute("SELECT set_config('search_path', %s, true)", (quote_ident(where),))
            failure = _run_check(conn, check)
            if failure:
                failures.append(failure)
    return failures


def _run_check(conn: psycopg.Connection, check: Precheck) -> Failure | None:
    try:
        with conn.transaction():
            for sql in check.setup_sql:
                conn.execute(sql)
            row = conn.execute(check.count_sql).fetchone()  # count(*): always one row
            count = int(row[0]) if row is not None else 0
            if count == 0:
                return None
            rows = conn.execute(check.sample_sql).fetchall() if check.sample_sql else []
    except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable, psycopg.errors.UndefinedObject,
            psycopg.errors.UndefinedFunction):
        # Depends on a column, type or function this plan creates: PostgreSQL checks it when the step runs.
        return None
    except (psycopg.errors.DataError, psycopg.errors.CannotCoerce, psycopg.errors.DatatypeMismatch) as exc:
        raise ExecutionFailed(f"pre-check of {check.subject} failed: {exc.diag.message_primary}") from None
    return Failure(check=check, count=count, examples=tuple(str(r[0]) for r in rows))


def refuse_failures(failures: list[Failure]) -> None:
    """Report each failed precheck with its count and examples."""
    if not failures:
        return
    lines = []
    for failure in failures:
        examples = f" (e.g. {'; '.join(failure.examples)})" if failure.examples else ""
        lines.append(f"  - {failure.check.subject}: {failure.count} {failure.check.problem}{examples}")
    raise Refused("existing rows would make the plan fail; nothing was changed:\n" + "\n".join(lines))
