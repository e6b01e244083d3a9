"""Batched data changes (promotion backfills): primary-key batches, each its own short transaction.

Why batches: one UPDATE of a million rows holds the row lock of every row it
touched until it commits, so an application writing one of them waits for the
whole backfill. A batch of ``batch_size`` rows in key order commits in tens of
milliseconds; a writer waits at most for one batch.

Why resumable: each batch records, in the same transaction as its UPDATE, the
last key it covered in ``pgevolve.backfill_progress``. A rerun after a kill
(connection lost, apply interrupted) starts after that key; the batches that
committed are not done again. A row's progress belongs to one instance of the
column (table oid and attnum), so a column dropped and promoted again starts over.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from pgevolve.errors import ExecutionFailed
from pgevolve.plan.steps import Batched, Step

_CREATE = """
CREATE SCHEMA IF NOT EXISTS pgevolve;
CREATE TABLE IF NOT EXISTS pgevolve.backfill_progress (
    target     text PRIMARY KEY,
    instance   text NOT NULL,
    last_key   text[],
    batches    integer NOT NULL DEFAULT 0,
    rows_done  bigint NOT NULL DEFAULT 0,
    done       boolean NOT NULL DEFAULT false,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchProgress:
    target: str
    batches: int  # finished batches, counting those of earlier runs
    rows: int  # rows changed so far
    estimate: int | None  # rows in the table (pg_class.reltuples), None when unknown
    resumed: bool  # this run started after batches of an earlier one
    done: bool


BatchCallback = Callable[[Step, BatchProgress], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOptions:
    batch_size: int = 10000
    pause: float = 0.0  # seconds between batches
    attempts: int = 5  # tries per batch when a lock is not granted in time (or a deadlock)
    retry_delay: float = 1.0


def run_batched(conn: psycopg.Connection, step: Step, options: BatchOptions,
                *, on_batch: BatchCallback | None = None) -> BatchProgress:
    """Run ``step.batch`` to the end on an autocommit connection, resuming recorded progress."""
    spec = step.batch
    assert spec is not None
    conn.execute(_CREATE)  # type: ignore[arg-type]
    row = conn.execute(spec.instance).fetchone()  # type: ignore[arg-type]
    instance = str(row[0]) if row else ""
    last, batches, rows, done = _resume(conn, spec, instance)
    resumed = batches > 0
    estimate = _estimate(conn, spec)
    progress = BatchProgress(target=spec.target, batches=batches, rows=rows, estimate=estimate, resumed=resumed,
                             done=done)
    while not progress.done:
        last, changed, finished = _one_batch(conn, spec, instance, last, options)
        progress = BatchProgress(target=spec.target, batches=progress.batches + 1, rows=progress.rows + changed,
                                 estimate=estimate, resumed=resumed, done=finished)
        if on_batch:
            on_batch(step, progress)
        if not finished and options.pause > 0:
            time.sleep(options.pause)
    return progress


def _resume(conn: psycopg.Connection, spec: Batched, instance: str) -> tuple[list[str] | None, int, int, bool]:
    row = conn.execute(
        "SELECT instance, last_key, batches, rows_done, done FROM pgevolve.backfill_progress WHERE target = %s",
        (spec.target,)).fetchone()
    if row is None or row[0] != instance:
        conn.execute(
            "INSERT INTO pgevolve.backfill_progress (target, instance) VALUES (%s, %s) "
            "ON CONFLICT (target) DO UPDATE SET instance = excluded.instance, last_key = NULL, batches = 0, "
            "rows_done = 0, done = false, started_at = clock_timestamp(), updated_at = clock_timestamp()",
            (spec.target, instance))
        return None, 0, 0, False
    return row[1], int(row[2]), int(row[3]), bool(row[4])


def _estimate(conn: psycopg.Connection, spec: Batched) -> int | None:
    row = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", (spec.table,)).fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def _keys(spec: Batched) -> str:
    return "(" + ", ".join(spec.key_columns) + ")"


def _placeholders(spec: Batched) -> str:
    return "(" + ", ".join(f"%s::{t}" for t in spec.key_types) + ")"


def _one_batch(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None,
               options: BatchOptions) -> tuple[list[str] | None, int, bool]:
    """One batch in its own transaction, retried when its locks are not granted; (new last key, rows, finished)."""
    for attempt in range(1, options.attempts + 1):
        try:
            with conn.transaction():
                return _batch_body(conn, spec, instance, last, options.batch_size)
        except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected) as exc:
            if attempt == options.attempts:
                raise ExecutionFailed(
                    f"{spec.target}: a batch could not get its row locks after {attempt} tries "
                    f"({exc.diag.message_primary}); finished batches are kept: run apply again") from None
            time.sleep(options.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def _batch_body(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None,
                size: int) -> tuple[list[str] | None, int, bool]:
    if not spec.key_columns:
        changed = conn.execute(f"{spec.update} WHERE {spec.pending}").rowcount  # type: ignore[arg-type]
        _record(conn, spec, instance, None, changed, finished=True)
        return None, changed, True
    update, pending = spec.update.replace("%", "%%"), spec.pending.replace("%", "%%")
    keys, params = _keys(spec), list(last or ())
    after = f"{keys} > {_placeholders(spec)}" if last else "true"
    # Aliased: ORDER BY "id" would otherwise name the output column "id"::text and sort as text.
    text_keys = ", ".join(f"{k}::text AS pgevolve_key{i}" for i, k in enumerate(spec.key_columns))
    order = ", ".join(spec.key_columns)
    bound = conn.execute(
        f"SELECT {text_keys} FROM {spec.table} WHERE {after} ORDER BY {order} OFFSET %s LIMIT 1",  # type: ignore[arg-type]
        [*params, size - 1]).fetchone()
    finished = bound is None
    upto = f" AND {keys} <= {_placeholders(spec)}" if bound else ""
    changed = conn.execute(
        f"{update} WHERE {after}{upto} AND {pending}",  # type: ignore[arg-type]
        [*params, *(bound or ())]).rowcount
    new_last = list(bound) if bound else last
    _record(conn, spec, instance, new_last, changed, finished=finished)
    return new_last, changed, finished


def _record(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None, changed: int,
            *, finished: bool) -> None:
    conn.execute(
        "UPDATE pgevolve.backfill_progress SET last_key = %s, batches = batches + 1, rows_done = rows_done + %s, "
        "done = %s, updated_at = clock_timestamp() WHERE target = %s AND instance = %s",
        (last, changed, finished, spec.target, instance))
    if finished and spec.finish:
        conn.execute(spec.finish)  # type: ignore[arg-type]
