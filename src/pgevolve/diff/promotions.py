"""Sync triggers of promoted columns (``promoted_from``): the desired ones against the catalog's.

While ``promoted_from`` is in the YAML, the sync trigger is part of the desired
state, in a database built fresh as in one migrated. What the catalog adds is
whether the backfill of existing rows finished (the function's comment): a
trigger that exists but is not backfilled means an apply was interrupted, and
the plan resumes the backfill. A trigger no longer in the YAML is dropped (by
its name in the catalog); the column and its data stay. A trigger whose table
was renamed (in this plan or an earlier one) is renamed after the table, so
that a database migrated and one built fresh have the same names.
"""

from __future__ import annotations

from pgevolve import model
from pgevolve.changes import Change, CreateTable, DropSyncTrigger, PromoteColumn, RenameSyncTrigger
from pgevolve.sqltext.ident import misnamed


def diff_promotions(actual: model.Database, desired: model.Database, changes: list[Change]) -> list[Change]:
    """DropSyncTrigger for each trigger the YAML no longer wants, PromoteColumn for each to create or finish."""
    created = {c.definition.name for c in changes if isinstance(c, CreateTable)}
    drops: list[Change] = []
    promotions: list[Change] = []
    for want in sorted(desired.sync_triggers, key=lambda s: (s.table, s.column)):
        have = actual.sync_trigger(want.table, want.column)
        same = have is not None and (have.source_column, have.key) == (want.source_column, want.key)
        if have is not None and same and misnamed(have):
            promotions.append(RenameSyncTrigger(trigger=have))
        if have is not None and same and have.backfilled and (have.drop_key or not want.drop_key):
            continue  # done (a drop_key removed from the YAML later has nothing left to undo)
        if have is not None and not same:
            drops.append(DropSyncTrigger(trigger=have))
        column = _desired_column(desired, want)
        table = actual.table(want.table)
        if want.table in created or table is None:
            promotions.append(PromoteColumn(table=want.table, column=column, trigger=want, backfill=False))
            continue
        keys = table.primary_key.columns if table.primary_key else ()
        promotions.append(PromoteColumn(
            table=want.table, column=column, trigger=want, key_columns=keys,
            key_types=tuple(_type_of(table, k) for k in keys), sync_exists=same,
        ))
    for have in sorted(actual.sync_triggers, key=lambda s: (s.table, s.column)):
        if desired.sync_trigger(have.table, have.column) is None:
            drops.append(DropSyncTrigger(trigger=have))
    return drops + promotions


def _desired_column(desired: model.Database, trigger: model.SyncTrigger) -> model.Column:
    table = desired.table(trigger.table)
    column = table.column(trigger.column) if table else None
    assert column is not None, f"sync trigger for {trigger.table}.{trigger.column}, a column the YAML lacks"
    return column


def _type_of(table: model.Table, column: str) -> str:
    found = table.column(column)
    return found.type if found is not None else "text"
