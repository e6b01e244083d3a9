"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it.

The file holds the plan (each step with the change it comes from and its
pre-checks, so apply needs nothing else to run it) and the catalog it was
planned against, one fingerprint per object: apply refuses a stale plan and
says which objects changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pgevolve import __version__, model
from pgevolve.apply import codec
from pgevolve.catalog.fingerprint import catalog_fingerprint
from pgevolve.errors import PgevolveError
from pgevolve.plan.steps import Plan

# 2: the steps carry their changes and pre-checks; the catalog is a fingerprint per object
# (format 1 held the whole catalog, the desired state and the hints, to plan again at apply time).
FORMAT = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedPlan:
    plan: Plan
    schema: str  # the owned schema
    others: tuple[str, ...]  # the project's other owned schemas (schemas: in pgevolve.yaml)
    catalog_objects: dict[str, str]  # the catalog it was planned against (catalog.fingerprint)
    actual_fingerprint: str
    yaml_fingerprint: str
    database: str  # where it was planned, password masked
    created_at: str


def plan_fingerprint(plan: Plan) -> str:
    return codec.fingerprint(plan.to_dict())


def save_plan(path: Path, *, plan: Plan, schema: str, catalog_objects: dict[str, str],
              yaml_desired: model.Database, database: str, others: tuple[str, ...] = ()) -> None:
    """Write a plan to ``path`` as JSON, with one fingerprint per catalog object it was planned against.

    ``yaml_desired`` is the compiled YAML, whose fingerprint history records; ``database`` says
    where, password masked.
    """
    data = {
        "format": FORMAT,
        "pgevolve": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": database,
        "schema": schema,
        "others": list(others),
        "actual_fingerprint": catalog_fingerprint(catalog_objects),
        "yaml_fingerprint": codec.fingerprint(yaml_desired),
        "plan": plan.to_dict(),
        "catalog": catalog_objects,
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def load_plan(path: Path) -> SavedPlan:
    """Read a file written by save_plan; a clear error for anything else."""
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"plan file format {data.get('format')!r}, this pgevolve reads {FORMAT}: plan again")
        return SavedPlan(
            plan=Plan.from_dict(data["plan"]),
            schema=data["schema"],
            others=tuple(data.get("others", ())),
            catalog_objects=data["catalog"],
            actual_fingerprint=data["actual_fingerprint"],
            yaml_fingerprint=data["yaml_fingerprint"],
            database=data["database"],
            created_at=data["created_at"],
        )
    except FileNotFoundError:
        raise PgevolveError(f"{path}: no such plan file") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise PgevolveError(f"{path}: not a plan saved by `pgevolve plan --out` ({exc})") from None
