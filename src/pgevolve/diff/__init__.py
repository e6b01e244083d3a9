"""diff(actual, desired, hints) -> the changes that turn the actual schema into the desired one.

Both models are in PostgreSQL's canonical form; the differ compares values and
never parses SQL to decide equality. The result is deterministic: every
collection is walked in name order, so the same pair of models always gives
the same list, whatever order their tuples came in.
"""

from __future__ import annotations

from pgevolve import model
from pgevolve.changes import (
    Change,
    CreateExtension,
    CreatePrerequisite,
    CreateSchema,
    SetExtensionSchema,
)
from pgevolve.diff.enums import absorb_enum_dependents, diff_enums
from pgevolve.diff.index_names import bind_unnamed_indexes
from pgevolve.diff.online import online_changes
from pgevolve.diff.promotions import diff_promotions
from pgevolve.diff.renames import apply_renames
from pgevolve.diff.tables import diff_tables

__all__ = ["diff", "diff_and_match"]


def diff(actual: model.Database, desired: model.Database, hints: model.Hints | None = None) -> list[Change]:
    """Changes from ``actual`` to ``desired``, in a stable order (the planner orders the steps)."""
    return diff_and_match(actual, desired, hints)[0]


def diff_and_match(actual: model.Database, desired: model.Database,
                   hints: model.Hints | None = None) -> tuple[list[Change], model.Database]:
    """The changes, and ``desired`` as the differ matched it against ``actual``: each index written
    without a name under the live name of its definition (``diff.index_names``). The planner judges
    steps against the latter."""
    hints = hints or model.Hints()
    renamed = apply_renames(actual, desired, hints)
    desired = bind_unnamed_indexes(renamed.actual, desired, hints)
    changes = [
        *_schema(actual, desired),
        *_extensions(actual, desired),
        *renamed.changes,
        *diff_enums(renamed.actual, desired),
        *_prerequisites(actual, desired),
        *diff_tables(renamed.actual, desired),
    ]
    changes = absorb_enum_dependents(changes, renamed.actual, desired)
    changes = online_changes(changes, renamed.actual, desired, hints)
    return changes + diff_promotions(renamed.actual, desired, changes), desired


def _is_empty(db: model.Database) -> bool:
    return not (db.extensions or db.enums or db.tables)


def _schema(actual: model.Database, desired: model.Database) -> list[Change]:
    # The catalog cannot tell an absent schema from an empty one: IF NOT EXISTS covers both.
    if desired.schema != "public" and _is_empty(actual) and not _is_empty(desired):
        return [CreateSchema(name=desired.schema)]
    return []


def _prerequisites(actual: model.Database, desired: model.Database) -> list[Change]:
    # Created when missing, in the file's order; never altered or dropped (the DBA's SQL, see docs/format.md).
    present = set(actual.prerequisites)
    return [CreatePrerequisite(prerequisite=p) for p in desired.prerequisites if p not in present]


def _extensions(actual: model.Database, desired: model.Database) -> list[Change]:
    old = {e.name: e for e in actual.extensions}
    new = {e.name: e for e in desired.extensions}
    changes: list[Change] = []
    for name in sorted(old.keys() | new.keys()):
        a, d = old.get(name), new.get(name)
        if a is None and d is not None:
            changes.append(CreateExtension(extension=d))
        elif d is None and a is not None:
            # An unlisted extension is left alone wherever it lives: extensions are database-wide,
            # and the ones a DBA installs for operations (pg_stat_statements, pgstattuple,
            # pg_repack) or another team's schema relies on are not the project's to drop.
            continue
        elif a is not None and d is not None and d.schema is not None and (a.schema or actual.schema) != d.schema:
            # A listed extension only has to be installed; it moves only when a schema is asked for explicitly.
            changes.append(SetExtensionSchema(name=name, old_schema=a.schema, new_schema=d.schema))
    return changes
