"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it.

The file holds the plan, the catalog it was planned against (and its
fingerprint) and the desired state, so apply can refuse a stale plan and say
what changed in the database since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgevolve import __version__, model
from pgevolve.apply import codec
from pgevolve.errors import PgevolveError
from pgevolve.plan.steps import Plan

FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedPlan:
    plan: Plan
    actual: model.Database
    desired: model.Database
    hints: model.Hints
    actual_fingerprint: str
    yaml_fingerprint: str
    database: str  # where it was planned, password masked
    created_at: str


def plan_fingerprint(plan: Plan) -> str:
    return codec.fingerprint(plan.to_dict())


def _hints_data(hints: model.Hints) -> dict[str, Any]:
    return {
        "table_renames": sorted(hints.table_renames.items()),
        "column_renames": sorted([table, new, old] for (table, new), old in hints.column_renames.items()),
        "promotions": codec.to_data(hints.promotions),
        "unnamed_indexes": sorted([table, name] for table, name in hints.unnamed_indexes),
    }


def _hints_from(data: dict[str, Any]) -> model.Hints:
    return model.Hints(
        table_renames={new: old for new, old in data["table_renames"]},
        column_renames={(table, new): old for table, new, old in data["column_renames"]},
        promotions=tuple(codec.from_data(model.Promotion, p) for p in data["promotions"]),
        unnamed_indexes=frozenset((table, name) for table, name in data.get("unnamed_indexes", ())),
    )


def save_plan(path: Path, *, plan: Plan, actual: model.Database, desired: model.Database,
              yaml_desired: model.Database, hints: model.Hints, database: str) -> None:
    """Write a plan to ``path`` as JSON, with the catalog it was planned against and the desired state.

    ``desired`` is canonical (as PostgreSQL spells it); ``yaml_desired`` is the compiled YAML,
    whose fingerprint history records; ``database`` says where, password masked.
    """
    data = {
        "format": FORMAT,
        "pgevolve": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": database,
        "actual_fingerprint": codec.fingerprint(actual),
        "yaml_fingerprint": codec.fingerprint(yaml_desired),
        "plan": plan.to_dict(),
        "actual": codec.to_data(actual),
        "desired": codec.to_data(desired),
        "hints": _hints_data(hints),
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def load_plan(path: Path) -> SavedPlan:
    """Read a file written by save_plan; a clear error for anything else."""
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown plan file format {data.get('format')!r}")
        return SavedPlan(
            plan=Plan.from_dict(data["plan"]),
            actual=codec.from_data(model.Database, data["actual"]),
            desired=codec.from_data(model.Database, data["desired"]),
            hints=_hints_from(data["hints"]),
            actual_fingerprint=data["actual_fingerprint"],
            yaml_fingerprint=data["yaml_fingerprint"],
            database=data["database"],
            created_at=data["created_at"],
        )
    except FileNotFoundError:
        raise PgevolveError(f"{path}: no such plan file") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PgevolveError(f"{path}: not a plan saved by `pgevolve plan --out` ({exc})") from None
