"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it.

The file holds the plan (each step with the change it comes from and its
pre-checks, so apply needs nothing else to run it) and the catalog it was
planned against, one fingerprint per object: apply refuses a stale plan and
says which objects changed since.

A plan file is reviewed, then handed to apply, possibly by another person or a CI job,
and apply runs the SQL it holds: so the file carries a digest over everything in it, and
apply refuses (exit 3) a file whose digest does not match. A SHA-256 anyone can recompute
catches an edited file, not a forger; with ``PGEVOLVE_PLAN_KEY`` set (a CI secret, the
same where plans are made and applied) the digest is an HMAC-SHA256 under that key, and
apply then accepts only files signed with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgevolve import __version__, model
from pgevolve.apply import codec
from pgevolve.catalog.fingerprint import catalog_fingerprint
from pgevolve.errors import PgevolveError, Refused
from pgevolve.plan.steps import Plan

# 2: the steps carry their changes and pre-checks; the catalog is a fingerprint per object
# (format 1 held the whole catalog, the desired state and the hints, to plan again at apply time).
FORMAT = 2
KEY_VARIABLE = "PGEVOLVE_PLAN_KEY"
_DIGEST = "digest"


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
    data[_DIGEST] = _digest(data, _key())
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _key() -> bytes | None:
    key = os.environ.get(KEY_VARIABLE)
    return key.encode() if key else None


def _digest(data: dict[str, Any], key: bytes | None) -> str:
    """``sha256:<hex>``, or ``hmac-sha256:<hex>`` under ``key``, over every field but the digest itself."""
    body = json.dumps({k: v for k, v in data.items() if k != _DIGEST}, sort_keys=True, separators=(",", ":"))
    if key is None:
        return "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    return "hmac-sha256:" + hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _check_digest(path: Path, data: dict[str, Any]) -> None:
    """Refused unless the file is as ``plan --out`` wrote it (and signed with the key, when one is set)."""
    recorded = data.get(_DIGEST)
    key = _key()
    if not isinstance(recorded, str) or not hmac.compare_digest(recorded, _digest(data, key)):
        signed = isinstance(recorded, str) and recorded.startswith("hmac-")
        why = ("it is signed with a key, and " + (f"{KEY_VARIABLE} is not set here" if key is None else
                                                 f"not with this {KEY_VARIABLE}") if signed else
               f"{KEY_VARIABLE} is set and the file is not signed with it" if key is not None and recorded else
               "it was changed after `pgevolve plan --out` wrote it")
        raise Refused(f"{path}: the plan file does not match its digest: {why}. Nothing was applied; plan again "
                      "and review the new file.")


def load_plan(path: Path) -> SavedPlan:
    """Read a file written by save_plan; a clear error for anything else."""
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"plan file format {data.get('format')!r}, this pgevolve reads {FORMAT}: plan again")
        _check_digest(path, data)
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
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise PgevolveError(f"{path}: not a plan saved by `pgevolve plan --out` ({exc})") from None
