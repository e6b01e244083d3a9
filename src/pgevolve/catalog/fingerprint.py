"""A catalog as a fingerprint per object, to tell whether and where it changed since a plan was made.

Each object the plan could depend on gets a key a DBA can read ("column leads.email",
"view lead_faxes") and a SHA-256 of its model value: two reads of an unchanged
catalog give the same map, and the keys that differ say what changed.
Unmanaged objects count too: a view created since the plan may block it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from pgevolve import model

MAX_LISTED = 20


def _digest(value: Any) -> str:
    # repr() of a frozen model value spells every compared field, deterministically.
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _objects(db: model.Database, unmanaged: tuple[model.UnmanagedObject, ...]) -> Iterator[tuple[str, Any]]:
    for extension in db.extensions:
        yield f"extension {extension.name}", extension
    for enum in db.enums:
        yield f"enum type {enum.name}", enum
    for table in db.tables:
        yield f"table {table.name}", (table.name, table.comment, table.storage, table.replica_identity,
                                      table.replica_identity_index)
        for column in table.columns:
            yield f"column {table.name}.{column.name}", column
        constraints: list[Any] = [*table.uniques, *table.checks, *table.foreign_keys]
        for constraint in ([table.primary_key] if table.primary_key else []) + constraints:
            yield f"constraint {table.name}.{constraint.name}", constraint
        for index in table.indexes:
            yield f"index {index.name}", (table.name, index)
    for trigger in db.sync_triggers:
        yield f"promotion {trigger.table}.{trigger.column}", trigger
    for obj in unmanaged:
        yield f"{obj.kind} {obj.name}", (obj.detail, obj.depends_on)


def object_fingerprints(db: model.Database, unmanaged: tuple[model.UnmanagedObject, ...]) -> dict[str, str]:
    """Object key -> fingerprint of its definition."""
    return {key: _digest(value) for key, value in _objects(db, unmanaged)}


def catalog_fingerprint(objects: dict[str, str]) -> str:
    """One fingerprint of the whole map."""
    return hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()


def changed_objects(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """'column leads.hand_made: added', '... removed', '... changed', sorted; at most MAX_LISTED and a count."""
    lines = [f"{key}: added" for key in after.keys() - before.keys()]
    lines += [f"{key}: removed" for key in before.keys() - after.keys()]
    lines += [f"{key}: changed" for key in before.keys() & after.keys() if before[key] != after[key]]
    lines.sort()
    if len(lines) > MAX_LISTED:
        lines = [*lines[:MAX_LISTED], f"... and {len(lines) - MAX_LISTED} more"]
    return lines
