"""Drift: every difference between the live database and the YAML, as facts, for CI and the DBA.

``collect`` turns a plan's changes (and, with ``--strict``, what was made by
hand) into ``Difference`` records; ``render`` prints them as text, Markdown,
JSON (structured: kind, object, property, live, yaml) or the SQL that would
bring the database back to the YAML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pgevolve.plan.drift.facts import Difference, differences
from pgevolve.plan.drift.hand import property_differences, unmanaged_differences

__all__ = ["Difference", "collect", "render"]


def collect(planned: Any, *, strict: bool = False, hand_properties: Iterable[Any] = ()) -> list[Difference]:
    """The differences of a planned comparison; with strict, also what was made or changed by hand."""
    from pgevolve.diff import diff

    found: list[Difference] = []
    if not planned.plan.is_empty:
        for change in diff(planned.actual, planned.desired, planned.compiled.hints):
            found += differences(change, planned.actual)
    if strict:
        found += unmanaged_differences(planned.unmanaged)
        found += property_differences(hand_properties)
    return found


def render(found: list[Difference], fmt: str, *, planned: Any, strict: bool = False) -> str:
    """text / markdown / json / sql; no drift says so."""
    managed = [d for d in found if d.managed]
    by_hand = [d for d in found if not d.managed]
    match fmt:
        case "json":
            return json.dumps({"in_sync": not found, "strict": strict,
                               "differences": [d.to_dict() for d in found]}, indent=2, ensure_ascii=False) + "\n"
        case "sql":
            from pgevolve.plan.render import render_sql

            return render_sql(planned.plan, search_path=planned.desired.schema)
        case "markdown":
            if not found:
                return "**No drift**: the database matches the YAML.\n"
            return "".join(_markdown_section(title, items) for title, items in _sections(managed, by_hand))
        case _:
            if not found:
                return "No drift: the database matches the YAML.\n"
            return "".join(_text_section(title, items) for title, items in _sections(managed, by_hand))


def _sections(managed: list[Difference], by_hand: list[Difference]) -> list[tuple[str, list[Difference]]]:
    sections = []
    if managed:
        sections.append((f"Drift: {_count(len(managed), 'difference')} between the database and the YAML", managed))
    if by_hand:
        sections.append((f"Made or changed by hand in the owned schema (--strict): {_count(len(by_hand), 'item')}",
                         by_hand))
    return sections


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _text_section(title: str, items: list[Difference]) -> str:
    return f"{title}:\n" + "".join(f"  - {d.text()}\n" for d in items)


def _markdown_section(title: str, items: list[Difference]) -> str:
    return f"**{title}**\n\n" + "".join(f"- {d.text()}\n" for d in items) + "\n"
