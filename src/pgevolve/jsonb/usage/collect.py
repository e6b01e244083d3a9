"""collect_usage: statistics, filter evidence and advice for the JSONB columns of the owned schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from pgevolve.errors import PgevolveError
from pgevolve.jsonb.usage.advice import Advice, advise_column
from pgevolve.jsonb.usage.filters import ColumnEvidence, Evidence, collect_evidence
from pgevolve.jsonb.usage.stats import (
    DEEP_SAMPLE_ROWS,
    ColumnStats,
    JsonbTable,
    Sample,
    choose_sample_percent,
    count_sample,
    estimate_rows,
    find_jsonb_columns,
    read_keys,
)

# REPEATABLE seed of TABLESAMPLE: the same seed reads the same blocks, so two runs on an unchanged
# table give the same report.
DEFAULT_SEED = 0

# work_mem of the usage transaction: enough for the walk's groupings of a 100k-row sample to hash in
# memory rather than spill to disk; one session's worth, released at the end of the transaction.
WORK_MEM = "64MB"

ProgressCallback = Callable[[str, int, int], None]  # (what is being done, steps done, steps in all)


class UsageError(PgevolveError):
    """usage cannot run as asked: no such table, no JSONB column, a bad sample percentage."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnUsage:
    stats: ColumnStats
    evidence: ColumnEvidence | None
    advice: tuple[Advice, ...]

    @property
    def table(self) -> str:
        return self.stats.table

    @property
    def column(self) -> str:
        return self.stats.column

    def advice_for(self, path: str) -> Advice | None:
        return next((a for a in self.advice if a.path == path), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageReport:
    schema: str
    columns: tuple[ColumnUsage, ...]
    evidence: Evidence

    def column(self, table: str, column: str) -> ColumnUsage | None:
        return next((c for c in self.columns if c.table == table and c.column == column), None)


def collect_usage(conn: psycopg.Connection, schema: str, table: str | None = None, column: str | None = None, *,
                  sample_percent: float | None = None, progress: ProgressCallback | None = None,
                  seed: int = DEFAULT_SEED) -> UsageReport:
    """Which keys the JSONB columns hold, how they are filtered, and what to do with each."""
    if sample_percent is not None and not 0 < sample_percent <= 100:
        raise UsageError(f"--sample must be a percentage in (0, 100], got {sample_percent:g}")
    tables = find_jsonb_columns(conn, schema, table, column)
    if not tables and (table or column):
        raise UsageError(_nothing_found(conn, schema, table, column))
    steps = 2 * len(tables) + 1
    report_progress = progress or (lambda _what, _done, _total: None)
    stats: list[ColumnStats] = []
    with _snapshot(conn):
        for number, target in enumerate(tables):
            report_progress(f"sampling {target.name}", 2 * number, steps)
            sample, counts = _sample(conn, schema, target, sample_percent, seed)
            report_progress(f"reading keys of {target.name}", 2 * number + 1, steps)
            keys = read_keys(conn, schema, target, sample)
            stats += [ColumnStats(table=target.name, column=name, sample=sample, rows_nonnull=counts[name][0],
                                  avg_stored_bytes=counts[name][1], keys=tuple(keys[name]))
                      for name in target.columns]
    report_progress("reading pg_stat_statements", steps - 1, steps)
    arrays = [(s.table, s.column) for s in stats if (root := s.key("")) and root.dominant_type == "array"]
    evidence = collect_evidence(conn, schema, {t.name: frozenset(t.columns) for t in tables}, array_columns=arrays)
    report_progress("done", steps, steps)
    columns = []
    for column_stats in stats:
        column_evidence = evidence.column(column_stats.table, column_stats.column)
        columns.append(ColumnUsage(stats=column_stats, evidence=column_evidence,
                                   advice=advise_column(column_stats, column_evidence)))
    return UsageReport(schema=schema, columns=tuple(columns), evidence=evidence)


def _sample(conn: psycopg.Connection, schema: str, table: JsonbTable, requested: float | None,
            seed: int) -> tuple[Sample, dict[str, tuple[int, float]]]:
    """The table's sample, and per column its non-null rows and average stored size."""
    estimated = estimate_rows(conn, schema, table.name)
    percent = choose_sample_percent(estimated, requested)
    rows_read, per_column = count_sample(conn, schema, table, percent, seed)
    sample = Sample(percent=percent, seed=seed, rows_read=rows_read,
                    estimated_rows=estimated if percent is not None else rows_read,
                    deep_rows=min(rows_read, DEEP_SAMPLE_ROWS))
    return sample, per_column


@contextmanager
def _snapshot(conn: psycopg.Connection) -> Iterator[None]:
    """One read-only REPEATABLE READ snapshot, so that the queries of a table count the same rows.

    Inside a transaction the caller opened, its snapshot is used as it is.
    """
    if not conn.autocommit:
        yield
        return
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    # The walk's estimates are far too high (a row per key per level), which would make the planner
    # compile it with JIT: seconds of compilation for a query that runs in about as long.
    conn.execute("SET LOCAL jit = off")
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def _nothing_found(conn: psycopg.Connection, schema: str, table: str | None, column: str | None) -> str:
    where = f"{schema}.{table}" if table else schema
    exists = table is None or conn.execute(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'm')", (schema, table)).fetchone()
    if not exists:
        return f"no table {where}"
    if column:
        return f"{where} has no jsonb column {column!r}"
    return f"{where} has no jsonb column"
