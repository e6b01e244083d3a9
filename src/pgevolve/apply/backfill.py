"""Batched data changes (promotion backfills): key or page-range batches, each its own short transaction.

Why batches: one UPDATE of a million rows holds the row lock of every row it
touched until it commits, so an application writing one of them waits for the
whole backfill. A batch commits in tens of milliseconds; a writer waits at most
for one batch.

Why the size adapts: the time a batch holds its row locks, not its row count, is
what a writer feels, and the time per row varies with the table (indexes, row
width, TOAST) and with the load. Each batch is timed and the next one sized to
take ``target`` seconds, between ``min_size`` and ``batch_size`` rows.

Why the backfill merges GIN pending lists: every row it rewrites goes into each
index of the table, and a GIN index with ``fastupdate`` (the default) queues the
entries in a pending list that is merged by whichever statement finds it over
``gin_pending_list_limit`` (4MB): often an application's one-row INSERT, which
then takes a second or more. Merging between batches (``gin_clean_pending_list``,
outside the batch's transaction, so no row lock is held) keeps that cost on the
backfill.

Why it stops at the largest key it starts with (``Batched.bounded``): the change's trigger exists
before the backfill starts, so every row inserted since was written with its value; a backfill that
walked to the table's end would chase the application's inserts (a million rows backfilled while
writers inserted: half an hour instead of two minutes on a loaded machine). A row that existed before
the trigger has a key no larger than the largest the table holds when the backfill starts.

A table without a primary key is cut by page ranges (``ctid`` TID range scans,
PostgreSQL 14+). An UPDATE writes the new row version elsewhere (often at the
end of the table), so a row may be seen twice: the UPDATE only touches rows that
still need it (``pending``), and the last range is the table's end as it is
when the batch runs, so rows moved past the start's end are reached too; a pass
that changed rows is followed by another (see ``_page_batch_body``).

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

from pgevolve.apply.history import ensure_pgevolve_schema
from pgevolve.errors import ExecutionFailed
from pgevolve.plan.steps import Batched, Step

_CREATE = """
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
    batch_size: int = 10000  # the largest batch (rows); the first one is smaller, see first_size
    target: float = 0.075  # seconds a batch should hold its row locks; 0: every batch has batch_size rows
    min_size: int = 100  # the smallest batch (rows)
    first_size: int = 1000  # the first batch (rows), before any batch was timed
    pause: float = 0.01  # seconds between batches, so that writers queued behind a batch get in first
    clean_gin: bool = True  # merge the table's GIN pending lists between batches
    attempts: int = 5  # tries per batch when a lock is not granted in time (or a deadlock)
    retry_delay: float = 1.0


class _Sizer:
    """Rows per batch: steered by the time each batch took, between options.min_size and options.batch_size."""

    def __init__(self, options: BatchOptions, unit_rows: float = 1.0) -> None:
        self.options, self.unit_rows = options, max(unit_rows, 1.0)
        rows = options.batch_size if options.target <= 0 else min(options.first_size, options.batch_size)
        self.rows = float(max(1, rows))

    def units(self) -> int:
        """The next batch's size in units (rows, or pages of unit_rows rows each)."""
        return max(1, round(self.rows / self.unit_rows))

    def observe(self, seconds: float) -> None:
        if self.options.target <= 0:
            return
        # Grow at most by half per batch (one fast batch is no proof), shrink at once.
        factor = min(1.5, self.options.target / max(seconds, 0.001))
        low = min(self.options.min_size, self.options.batch_size)
        self.rows = min(float(self.options.batch_size), max(float(low), self.rows * factor))


def run_batched(conn: psycopg.Connection, step: Step, options: BatchOptions,
                *, on_batch: BatchCallback | None = None) -> BatchProgress:
    """Run ``step.batch`` to the end on an autocommit connection, resuming recorded progress."""
    spec = step.batch
    assert spec is not None
    ensure_pgevolve_schema(conn)
    conn.execute(_CREATE)
    row = conn.execute(spec.instance).fetchone()
    # The kind of position is part of the instance: a key recorded by one way of cutting is never
    # read as a position of the other (the table got or lost a primary key between two runs).
    instance = (str(row[0]) if row else "") + ("" if spec.key_columns else ":pages")
    last, batches, rows, done = _resume(conn, spec, instance)
    resumed = batches > 0
    estimate, density = _estimate(conn, spec)
    upper = _upper_key(conn, spec) if spec.bounded and spec.key_columns else None
    sizer = _Sizer(options, 1.0 if spec.key_columns else density)
    cleaner = _GinCleaner(conn, spec.table) if options.clean_gin else None
    progress = BatchProgress(target=spec.target, batches=batches, rows=rows, estimate=estimate, resumed=resumed,
                             done=done)
    while not progress.done:
        started = time.monotonic()
        last, changed, finished = _one_batch(conn, spec, instance, last, options, sizer.units(), upper)
        sizer.observe(time.monotonic() - started)
        progress = BatchProgress(target=spec.target, batches=progress.batches + 1, rows=progress.rows + changed,
                                 estimate=estimate, resumed=resumed, done=finished)
        if cleaner is not None and changed:
            cleaner.clean()
        if on_batch:
            on_batch(step, progress)
        if not finished and options.pause > 0:
            time.sleep(options.pause)
    return progress


class _GinCleaner:
    """Merges the pending lists of the table's GIN indexes (see the module's docstring)."""

    def __init__(self, conn: psycopg.Connection, table: str) -> None:
        self.conn = conn
        rows = conn.execute(
            "SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = %s::regclass AND a.amname = 'gin' "
            "AND i.indisvalid AND i.indisready ORDER BY 1", (table,)).fetchall()
        self.indexes = [int(r[0]) for r in rows]

    def clean(self) -> None:
        for index in list(self.indexes):
            try:
                self.conn.execute("SELECT gin_clean_pending_list(%s::oid::regclass)", (index,))
            except pg_errors.LockNotAvailable:
                pass  # the index is busy (lock_timeout): merged after the next batch
            except psycopg.DatabaseError:
                # Not the index's owner, or it went away: writers keep merging it, as without a backfill.
                self.indexes.remove(index)


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


def _estimate(conn: psycopg.Connection, spec: Batched) -> tuple[int | None, float]:
    """(rows in the table per pg_class.reltuples or None, rows per page)."""
    row = conn.execute("SELECT reltuples::bigint, relpages FROM pg_class WHERE oid = %s::regclass",
                       (spec.table,)).fetchone()
    if not row or row[0] is None or row[0] < 0:
        return None, 50.0  # never analyzed: a guess, corrected after the first timed batch
    return int(row[0]), (row[0] / row[1]) if row[1] else 50.0


def _keys(spec: Batched) -> str:
    return "(" + ", ".join(spec.key_columns) + ")"


def _placeholders(spec: Batched) -> str:
    return "(" + ", ".join(f"%s::{t}" for t in spec.key_types) + ")"


def _upper_key(conn: psycopg.Connection, spec: Batched) -> list[str] | None:
    """The largest key when the backfill starts (as text): rows past it were inserted under the trigger."""
    # Aliased, as in _batch_body: ORDER BY "id" would sort the output column "id"::text, as text.
    text_keys = ", ".join(f"{k}::text AS pgevolve_key{i}" for i, k in enumerate(spec.key_columns))
    order = ", ".join(f"{k} DESC" for k in spec.key_columns)
    row = conn.execute(f"SELECT {text_keys} FROM {spec.table} ORDER BY {order} LIMIT 1").fetchone()
    return list(row) if row else []  # [] : an empty table, nothing to backfill


def _one_batch(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None,
               options: BatchOptions, size: int, upper: list[str] | None) -> tuple[list[str] | None, int, bool]:
    """One batch in its own transaction, retried when its locks are not granted; (new last key, rows, finished)."""
    for attempt in range(1, options.attempts + 1):
        try:
            with conn.transaction():
                if spec.key_columns:
                    return _batch_body(conn, spec, instance, last, size, upper)
                return _page_batch_body(conn, spec, instance, last, size)
        except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected) as exc:
            if attempt == options.attempts:
                raise ExecutionFailed(
                    f"{spec.target}: a batch could not get its row locks after {attempt} tries "
                    f"({exc.diag.message_primary}); finished batches are kept: run apply again") from None
            time.sleep(options.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def _batch_body(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None,
                size: int, upper: list[str] | None = None) -> tuple[list[str] | None, int, bool]:
    update, pending = spec.update.replace("%", "%%"), spec.pending.replace("%", "%%")
    keys, params = _keys(spec), list(last or ())
    after = f"{keys} > {_placeholders(spec)}" if last else "true"
    if upper is not None:
        if not upper:  # the table was empty when the backfill started
            _record(conn, spec, instance, last, 0, finished=True)
            return last, 0, True
        after += f" AND {keys} <= {_placeholders(spec)}"
        params += upper
    # Aliased: ORDER BY "id" would otherwise name the output column "id"::text and sort as text.
    text_keys = ", ".join(f"{k}::text AS pgevolve_key{i}" for i, k in enumerate(spec.key_columns))
    order = ", ".join(spec.key_columns)
    bound = conn.execute(
        f"SELECT {text_keys} FROM {spec.table} WHERE {after} ORDER BY {order} OFFSET %s LIMIT 1",
        [*params, size - 1]).fetchone()
    finished = bound is None
    upto = f" AND {keys} <= {_placeholders(spec)}" if bound else ""
    changed = conn.execute(  # pending in parentheses: an OR in it must not escape the key range
        f"{update} WHERE {after}{upto} AND ({pending})",
        [*params, *(bound or ())]).rowcount
    new_last = list(bound) if bound else last
    _record(conn, spec, instance, new_last, changed, finished=finished)
    return new_last, changed, finished


def _page_batch_body(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None,
                     size: int) -> tuple[list[str] | None, int, bool]:
    """Pages [first, first + size) by a TID range scan; the position is (next page, rows changed in this pass).

    The end is read in the batch itself: rows moved (by this backfill or by the
    application) to pages past the end seen at the start are reached too; a
    row version the UPDATE already wrote is not pending, so it is not written twice.
    An application UPDATE that does not write the JSON column (so no trigger)
    may also move a row not yet filled into free space of a page already passed:
    so a pass that changed rows is followed by another, and the backfill is done
    after a pass that changed none (inserts fire the trigger, so such rows only
    get fewer).
    """
    first, in_pass = (int(last[0]), int(last[1])) if last and len(last) == 2 else (0, 0)
    row = conn.execute("SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::bigint",
                       (spec.table,)).fetchone()
    end = int(row[0]) if row else 0
    if first >= end:
        position = ["0", "0"] if in_pass else [str(first), "0"]
        _record(conn, spec, instance, position, 0, finished=not in_pass)
        return position, 0, not in_pass
    upto = min(first + size, end)
    update, pending = spec.update.replace("%", "%%"), spec.pending.replace("%", "%%")
    changed = conn.execute(
        f"{update} WHERE ctid >= %s::tid AND ctid < %s::tid AND ({pending})",
        (f"({first},0)", f"({upto},0)")).rowcount
    position = [str(upto), str(in_pass + changed)]
    _record(conn, spec, instance, position, changed, finished=False)
    return position, changed, False
def _record(conn: psycopg.Connection, spec: Batched, instance: str, last: list[str] | None, changed: int,
            *, finished: bool) -> None:
    conn.execute(
        "UPDATE pgevolve.backfill_progress SET last_key = %s, batches = batches + 1, rows_done = rows_done + %s, "
        "done = %s, updated_at = clock_timestamp() WHERE target = %s AND instance = %s",
        (last, changed, finished, spec.target, instance))
    if finished and spec.finish:
        conn.execute(spec.finish)
