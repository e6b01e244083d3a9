"""pgevolve usage: which keys of the JSONB columns are used and filtered on, and what to do with them."""

from __future__ import annotations

from pgevolve.jsonb.usage.advice import THRESHOLDS, Action, Advice, sql_type_for
from pgevolve.jsonb.usage.collect import (
    DEFAULT_SEED,
    ColumnUsage,
    ProgressCallback,
    UsageError,
    UsageReport,
    collect_usage,
)
from pgevolve.jsonb.usage.filters import ColumnEvidence, Evidence, KeyIndex, StatementEvidence
from pgevolve.jsonb.usage.render import render_usage
from pgevolve.jsonb.usage.stats import ColumnStats, KeyStats, Sample

__all__ = [
    "DEFAULT_SEED",
    "THRESHOLDS",
    "Action",
    "Advice",
    "ColumnEvidence",
    "ColumnStats",
    "ColumnUsage",
    "Evidence",
    "KeyIndex",
    "KeyStats",
    "ProgressCallback",
    "Sample",
    "StatementEvidence",
    "UsageError",
    "UsageReport",
    "collect_usage",
    "render_usage",
    "sql_type_for",
]
