"""The usage report as text (a rich table per column) or as JSON (stable field names, for tools)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from rich import box
from rich.console import Console, JustifyMethod
from rich.padding import Padding
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pgevolve.jsonb.usage.advice import THRESHOLDS, Action, Advice
from pgevolve.jsonb.usage.collect import ColumnUsage, ProgressCallback, UsageReport
from pgevolve.jsonb.usage.filters import StatementEvidence
from pgevolve.jsonb.usage.stats import KeyStats, Sample

JSON_FORMAT_VERSION = 1
_QUERY_WIDTH = 100


def render_usage(report: UsageReport, fmt: Literal["text", "json"] = "text", *, color: bool = False,
                 width: int = 120) -> str:
    """The report as text (colour only when asked, for a terminal) or as JSON."""
    if fmt == "json":
        return json.dumps(usage_data(report), indent=2, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown usage format {fmt!r}: text or json")
    return _render_text(report, color=color, width=width)


@contextmanager
def progress_bar(*, enabled: bool | None = None) -> Iterator[ProgressCallback | None]:
    """A progress callback for collect_usage drawing a bar on stderr; None when stderr is not a terminal."""
    console = Console(stderr=True)
    if not (console.is_terminal if enabled is None else enabled):
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("usage", total=1)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield update


# -- text ---------------------------------------------------------------------------------------------------


def _render_text(report: UsageReport, *, color: bool, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False, emoji=False)
    if not report.columns:
        console.print(f"No jsonb columns in schema {report.schema}.")
    for usage in report.columns:
        _print_column(console, usage)
    console.print(Text(_evidence_line(report)))
    # rich pads wrapped and padded lines to the full width; a report read in CI logs should not.
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


_KEY_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("key", "left"), ("rows", "right"), ("type", "left"), ("distinct", "right"), ("avg bytes", "right"),
    ("length avg/max", "right"), ("filtered", "right"), ("advice", "left"))
_STATEMENT_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("calls", "right"), ("total ms", "right"), ("key", "left"), ("index", "left"),
    ("statement (pg_stat_statements)", "left"))


def _print_column(console: Console, usage: ColumnUsage) -> None:
    stats = usage.stats
    console.print(f"[bold]{stats.table}.{stats.column}[/bold]  {_sample_words(stats.sample)}; "
                  f"{stats.rows_nonnull:,} with a value, {stats.avg_stored_bytes:,.0f} bytes stored on average")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name, justify in _KEY_COLUMNS:
        table.add_column(name, justify=justify, overflow="fold")
    for key in stats.keys:
        advice = usage.advice_for(key.path)
        table.add_row(_label(stats.column, key), f"{stats.share(key) * 100:.1f}%", _types(key), _distinct(key),
                      f"{key.avg_bytes:,.0f}", _lengths(key), _filtered(usage, key),
                      advice.action.label if advice else "")
    if stats.keys:
        console.print(table)
    else:
        console.print(Padding("no values in the sample", (0, 0, 0, 2), expand=False))
    for key in stats.keys:
        if key.top_values:
            values = ", ".join(f"{v.value} ({v.count / max(key.sampled_rows, 1) * 100:.0f}% of rows)"
                               for v in key.top_values)
            text = Text(f"most frequent in {_label(stats.column, key)}: {values}")
            console.print(Padding(text, (0, 0, 0, 2), expand=False))
    for advice in usage.advice:
        if advice.action is not Action.LEAVE:
            _print_advice(console, stats.column, advice)
    if usage.evidence and usage.evidence.statements:
        _print_statements(console, usage.evidence.statements)
    console.print()


def _print_advice(console: Console, column: str, advice: Advice) -> None:
    text = Text.assemble((advice.path or column, "bold"), f": {advice.action.label} - {advice.reason}")
    console.print(Padding(text, (0, 0, 0, 2), expand=False))
    if advice.suggestion:
        console.print(Padding(Text(advice.suggestion, style="cyan"), (0, 0, 0, 6), expand=False))


def _print_statements(console: Console, statements: tuple[StatementEvidence, ...]) -> None:
    table = Table(title=None, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name, justify in _STATEMENT_COLUMNS:
        table.add_column(name, justify=justify, overflow="fold")
    for statement in statements:
        uses = [u for u in statement.uses if u.indexable] or list(statement.uses)
        keys = ", ".join(dict.fromkeys(f"{u.operator} {u.path if u.path is not None else '$n'}" for u in uses))
        indexes = [*statement.served_by, *(f"{name}?" for name in statement.maybe_served_by)]
        table.add_row(f"{statement.calls:,}", f"{statement.total_exec_ms:,.1f}", keys,
                      ", ".join(indexes) or "none", _short(statement.query))
    console.print(table)


def _label(column: str, key: KeyStats) -> str:
    if not key.path:
        return "(column)"
    return f"{column}{key.path}" if key.path.startswith("[]") else key.path


def _types(key: KeyStats) -> str:
    dominant = key.dominant_type
    text = f"{dominant} {key.type_share * 100:.0f}%"
    others = [t.type for t in key.types if t.type not in (dominant, "null")
              and not (dominant == "number" and t.type == "integer")]
    if others:
        text += f" (+{', '.join(others)})"
    if key.null_count:
        text += " null"
    return text


def _distinct(key: KeyStats) -> str:
    if key.distinct_estimate is None:
        return ""
    if key.distinct_estimate == key.distinct_in_sample:
        return f"{key.distinct_estimate:,}"
    return f"~{key.distinct_estimate:,}"


def _lengths(key: KeyStats) -> str:
    if key.array_length_avg is None:
        return ""
    return f"{key.array_length_avg:.1f}/{key.array_length_max}"


def _filtered(usage: ColumnUsage, key: KeyStats) -> str:
    if usage.evidence is None or key.in_array and key.path != "[]":
        return ""
    calls = usage.evidence.filter_calls(key.path)
    return f"{calls:,}" if calls else ""


def _sample_words(sample: Sample) -> str:
    if sample.percent is None:
        text = f"every row read: {sample.rows_read:,} rows"
    else:
        text = (f"sample {sample.percent:.3g}% of blocks (TABLESAMPLE SYSTEM, REPEATABLE {sample.seed}): "
                f"{sample.rows_read:,} rows of ~{sample.estimated_rows:,}")
    if sample.deep_rows < sample.rows_read:
        text += f"; nested keys and array elements from {sample.deep_rows:,} of them"
    return text


def _short(query: str) -> str:
    text = re.sub(r"\s+", " ", query).strip()
    return text if len(text) <= _QUERY_WIDTH else text[: _QUERY_WIDTH - 3] + "..."


def _evidence_line(report: UsageReport) -> str:
    evidence = report.evidence
    line = f"Filter evidence: {evidence.message}"
    if evidence.stats_reset is not None:
        line += f" (reset {evidence.stats_reset:%Y-%m-%d %H:%M %Z})".replace(" )", ")")
    if evidence.statements_available:
        line += ("; keys are normalized to $n by pg_stat_statements, so per-key counts come from "
                 "expression-index scans")
    if evidence.unparsed_statements:
        line += f"; {evidence.unparsed_statements} statement(s) could not be parsed"
    return line + "."


# -- JSON ---------------------------------------------------------------------------------------------------


def usage_data(report: UsageReport) -> dict[str, Any]:
    """The report as plain data: what render_usage(fmt='json') prints."""
    evidence = report.evidence
    return {
        "version": JSON_FORMAT_VERSION,
        "schema": report.schema,
        "thresholds": dict(THRESHOLDS),
        "evidence": {
            "pg_stat_statements": evidence.statements_available,
            "message": evidence.message,
            "stats_reset": evidence.stats_reset.isoformat() if evidence.stats_reset else None,
            "hidden_statements": evidence.hidden_statements,
            "unparsed_statements": evidence.unparsed_statements,
        },
        "columns": [_column_data(usage) for usage in report.columns],
    }


def _column_data(usage: ColumnUsage) -> dict[str, Any]:
    stats, evidence = usage.stats, usage.evidence
    return {
        "table": stats.table,
        "column": stats.column,
        "sample": {"percent": stats.sample.percent, "seed": stats.sample.seed,
                   "rows_read": stats.sample.rows_read, "estimated_rows": stats.sample.estimated_rows,
                   "deep_rows": stats.sample.deep_rows},
        "rows_nonnull": stats.rows_nonnull,
        "avg_stored_bytes": round(stats.avg_stored_bytes, 1),
        "keys": [_key_data(usage, key) for key in stats.keys],
        "unknown_key_filter_calls": evidence.unknown_key_calls if evidence else 0,
        "unexplained_filter_calls": evidence.unexplained_calls if evidence else 0,
        "statements": [_statement_data(s) for s in (evidence.statements if evidence else ())],
        "indexes": [{"name": i.name, "path": i.path, "operator": i.operator, "method": i.method,
                     "opclass": i.opclass, "scans": i.scans, "partial": i.partial, "valid": i.valid}
                    for i in (evidence.indexes if evidence else ())],
    }


def _key_data(usage: ColumnUsage, key: KeyStats) -> dict[str, Any]:
    advice = usage.advice_for(key.path)
    return {
        "path": key.path,
        "rows": key.rows,
        "sampled_rows": key.sampled_rows,
        "share": round(usage.stats.share(key), 4),
        "occurrences": key.occurrences,
        "types": {t.type: t.count for t in key.types},
        "dominant_type": key.dominant_type,
        "type_share": round(key.type_share, 4),
        "avg_bytes": round(key.avg_bytes, 1),
        "array_length": None if key.array_length_avg is None else {
            "avg": round(key.array_length_avg, 2), "max": key.array_length_max},
        "distinct": None if key.distinct_in_sample is None else {
            "in_sample": key.distinct_in_sample, "estimate": key.distinct_estimate},
        "top_values": [{"value": v.value, "count": v.count} for v in key.top_values],
        "filter_calls": usage.evidence.filter_calls(key.path) if usage.evidence else 0,
        "advice": None if advice is None else {
            "action": advice.action.value, "reason": advice.reason, "suggestion": advice.suggestion},
    }


def _statement_data(statement: StatementEvidence) -> dict[str, Any]:
    return {
        "queryid": str(statement.queryid),  # a 64-bit integer: a string, so that JavaScript keeps every digit
        "query": statement.query,
        "calls": statement.calls,
        "total_exec_ms": round(statement.total_exec_ms, 3),
        "rows": statement.rows,
        "uses": [{"operator": u.operator, "path": u.path, "clause": u.clause} for u in statement.uses],
        "served_by": list(statement.served_by),
        "maybe_served_by": list(statement.maybe_served_by),
    }
