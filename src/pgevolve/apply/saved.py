"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it.

The file holds the plan, the catalog it was planned against (and its
fingerprint) and the desired state, so apply can refuse a stale plan and say
what changed in the database since.

A plan file is reviewed, then handed to apply, possibly by another person or a CI job:
apply runs exactly what was reviewed or nothing. The file carries a SHA-256 digest over
everything apply trusts in it (steps, both models, hints, fingerprints), and apply
refuses (exit 3) a file whose digest does not match. A digest anyone can recompute does
not stop a deliberate forger, so apply also derives the steps again from the models the
file records and refuses steps that differ: an edited ``sql`` field is never executed,
and the SQL that does run is built by ``sqltext.ddl``, which checks every fragment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgevolve import __version__, model
from pgevolve.apply import codec
from pgevolve.errors import PgevolveError, Refused
from pgevolve.plan.steps import Plan

FORMAT = 2
_DIGEST = "digest"


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
    }


def _hints_from(data: dict[str, Any]) -> model.Hints:
    return model.Hints(
        table_renames={new: old for new, old in data["table_renames"]},
        column_renames={(table, new): old for table, new, old in data["column_renames"]},
        promotions=tuple(codec.from_data(model.Promotion, p) for p in data["promotions"]),
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
    data[_DIGEST] = _digest(data)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _digest(data: dict[str, Any]) -> str:
    """SHA-256 over every field but the digest itself (canonical JSON: sorted keys, no spaces)."""
    return codec.fingerprint({key: value for key, value in data.items() if key != _DIGEST})


def load_plan(path: Path) -> SavedPlan:
    """Read a file written by save_plan; a clear error for anything else, Refused for an altered one."""
    saved = _read(path)
    _check_steps(path, saved)
    return saved


def _read(path: Path) -> SavedPlan:
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown plan file format {data.get('format')!r}; plan again with this pgevolve")
        if data.get(_DIGEST) != _digest(data):
            raise Refused(f"{path}: the plan file does not match its digest: it was changed after `pgevolve plan "
                          "--out` wrote it. Nothing was applied; plan again and review the new file.")
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
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise PgevolveError(f"{path}: not a plan saved by `pgevolve plan --out` ({exc})") from None


def _check_steps(path: Path, saved: SavedPlan) -> None:
    """Refused unless the steps are the ones pgevolve derives from the file's own models and hints."""
    from pgevolve.plan.planner import make_plan

    try:
        derived = make_plan(saved.actual, saved.desired, saved.hints)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise PgevolveError(f"{path}: not a plan saved by `pgevolve plan --out` ({exc})") from None
    if derived.steps != saved.plan.steps:
        raise Refused(f"{path}: the plan's steps are not the ones pgevolve derives from the database and the "
                      "YAML recorded in the file: it was changed after `pgevolve plan --out` wrote it. Nothing "
                      "was applied; plan again and review the new file.")
