"""promoted_from hints: a column filled from a JSON key, and the sync trigger's life cycle.

A promotion is planned when the column is added by this plan, or when a
previous apply added it but was interrupted before its backfill finished (the
catalog's sync trigger says ``backfilled: false``). Once backfilled, the hint
is inert: the trigger stays, keeping the column in step with the JSON, until
``promoted_from`` leaves the YAML; then the trigger and its function are dropped.
"""

from __future__ import annotations

from pgevolve import model
from pgevolve.changes import AddColumn, Change, DropSyncTrigger, PromoteColumn


def diff_promotions(actual: model.Database, desired: model.Database, hints: model.Hints,
                    changes: list[Change]) -> list[Change]:
    """PromoteColumn for each promotion to plan, DropSyncTrigger for each trigger no hint wants any more."""
    added = {(c.table, c.column.name) for c in changes if isinstance(c, AddColumn)}
    result: list[Change] = []
    wanted: set[tuple[str, str]] = set()
    for promotion in sorted(hints.promotions, key=lambda p: (p.table, p.column)):
        pair = (promotion.table, promotion.column)
        table, target = actual.table(promotion.table), desired.table(promotion.table)
        column = target.column(promotion.column) if target else None
        if table is None or column is None or table.column(promotion.source_column) is None:
            continue  # a new table has no rows to backfill; a missing source is a spec error
        sync = actual.sync_trigger(*pair)
        if sync is not None and (sync.source_column, sync.key) == (promotion.source_column, promotion.key):
            wanted.add(pair)
        if pair not in added and (sync is None or sync.backfilled or pair not in wanted):
            continue
        keys = table.primary_key.columns if table.primary_key else ()
        types = tuple(_type_of(table, k) for k in keys)
        result.append(PromoteColumn(table=promotion.table, column=column, promotion=promotion, key_columns=keys,
                                    key_types=types, sync_exists=pair in wanted))
        wanted.add(pair)
    stale = [s for s in actual.sync_triggers if (s.table, s.column) not in wanted]
    return [DropSyncTrigger(trigger=s) for s in stale] + result


def _type_of(table: model.Table, column: str) -> str:
    found = table.column(column)
    return found.type if found is not None else "text"
