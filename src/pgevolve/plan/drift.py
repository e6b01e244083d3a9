"""Drift: every difference between the live database and the YAML, for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pgevolve import changes as ch
from pgevolve.plan.steps import Plan
from pgevolve.plan.summary import summarize


def describe(change: ch.Change) -> str:
    """One line per difference; a changed column shows the live and the YAML value of each attribute."""
    if isinstance(change, ch.AlterColumn):
        parts = [
            f"{what}: live {getattr(change.old, _FIELD[what])!r}, YAML {getattr(change.new, _FIELD[what])!r}"
            for what in sorted(change.changes)
        ]
        return f"column {change.table}.{change.new.name} differs ({'; '.join(parts)})"
    return summarize(change).replace("`", "")


_FIELD = {"type": "type", "nullable": "nullable", "default": "default", "identity": "identity",
          "generated": "generated", "collation": "collation"}


def render_drift(differences: Sequence[ch.Change], plan: Plan, *, schema: str, fmt: str) -> str:
    """text / markdown / json of the differences, or sql of the plan that removes them; empty drift says so."""
    lines = [describe(c) for c in differences]
    match fmt:
        case "json":
            return json.dumps({"in_sync": not lines, "differences": lines}, indent=2) + "\n"
        case "sql":
            from pgevolve.plan.render import render_sql

            return render_sql(plan, search_path=schema)
        case "markdown":
            if not lines:
                return "**No drift**: the database matches the YAML.\n"
            return f"**Drift**: {len(lines)} difference(s)\n\n" + "".join(f"- {line}\n" for line in lines)
        case _:
            if not lines:
                return "No drift: the database matches the YAML.\n"
            body = "".join(f"  - {line}\n" for line in lines)
            return f"Drift: {len(lines)} difference(s) between the database and the YAML:\n{body}"
