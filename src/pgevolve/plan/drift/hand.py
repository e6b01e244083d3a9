"""`drift --strict`: what was made or changed by hand in the owned schema, outside what the format describes.

Views, functions, triggers, policies, rules, row level security (the
unmanaged objects that plan and drift already list), and the properties of
owned tables that a fresh build from the YAML would not have: owner, grants,
UNLOGGED, storage parameters, statistics targets, column options and storage
(``catalog/queries/hand_properties.sql``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pgevolve.plan.drift.facts import Difference

# Objects outside the owned schema (listed only as blockers) and extensions (database-wide, left
# alone by design: docs/decisions.md "Unlisted extensions are left alone") are not the owned schema's.
_NOT_OWNED_KINDS = frozenset({"extension"})


def unmanaged_differences(unmanaged: Iterable[Any]) -> list[Difference]:
    """One difference per object of the owned schema that the YAML does not describe."""
    found = []
    for obj in unmanaged:
        if obj.kind in _NOT_OWNED_KINDS or (obj.detail or "").startswith("in schema "):
            continue
        if obj.kind == "row level security":
            found.append(Difference(kind="table", object=obj.name, property="row level security",
                                    live="ENABLED", yaml="DISABLED", managed=False))
            continue
        table = obj.detail[3:] if (obj.detail or "").startswith("on ") else None
        found.append(Difference(kind=obj.kind, object=obj.name, table=table, property=None,
                                live=obj.detail if table is None else None, yaml=None, managed=False))
    return found


def property_differences(properties: Iterable[Any]) -> list[Difference]:
    """One difference per hand-set property (catalog.unmanaged.HandProperty)."""
    return [Difference(kind=p.kind, object=p.object, property=p.property, live=p.live, yaml=p.expected,
                       managed=False) for p in properties]
