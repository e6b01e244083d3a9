"""Steps of a promotion (``promoted_from``): sync trigger, batched backfill, and the trigger's removal."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import DropSyncTrigger, PromoteColumn, RenameSyncTrigger
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Batched, Hazard, Phase, Step, StepKind
from pgevolve.sqltext import promotion_sql as sql
from pgevolve.sqltext.fragments import safe_type
from pgevolve.sqltext.ident import quote_ident, quote_literal
from pgevolve.sqltext.type_names import SERIAL_TYPES

SYNC_TRIGGER = ("While the application still writes the JSON key, this BEFORE INSERT OR UPDATE trigger copies "
                "it into the column (a JSON value that does not cast makes that write fail, never a silent "
                "NULL; rows without the key keep the column as written). A brief SHARE ROW EXCLUSIVE lock. "
                "It stays until promoted_from is removed from the YAML.")
_BATCHES = ("each its own short transaction under lock_timeout, sized to hold its row locks about --batch-time "
            "(default 75 ms, at most --batch-size rows), so a writer waits at most for one short batch; the "
            "table's GIN pending lists are merged between batches, so that no application write has to. "
            "Progress is recorded in pgevolve.backfill_progress in each batch's transaction, and a rerun after "
            "an interruption resumes after the last finished batch. Where a row has the key, the column takes "
            "its value; rows where it already does are not written. Fails if a value does not cast "
            "(pre-checked with a count before anything runs).")
BACKFILL = "Copies the JSON value into the column for existing rows, in primary-key batches, " + _BATCHES
BACKFILL_NO_KEY = ("Copies the JSON value into the column for existing rows, in batches of page ranges (the table "
                   "has no primary key; a row moved by an update is reached again and not rewritten), " + _BATCHES)


def promote_column(change: PromoteColumn, ctx: Context) -> list[Step]:
    """Sync trigger (unless an interrupted apply left it), then the batched backfill (unless the table is new)."""
    table, column, trigger = change.table, change.column, change.trigger
    obj, rel, schema = f"{table}.{column.name}", (ctx.relation(table),), ctx.scope.schema
    steps: list[Step] = []
    if not change.sync_exists:
        # Marked backfilled only once the backfill's last batch commits (a new table has no rows).
        recorded = replace(trigger, backfilled=not change.backfill)
        steps += [
            draft(Phase.COLUMNS, StepKind.CREATE_SYNC_FUNCTION, obj,
                  sql.create_sync_function(schema, trigger, ctx.scope.type(column.type)), Hazard.SAFE,
                  "The function of the sync trigger below; catalog-only.", relations=rel),
            draft(Phase.COLUMNS, StepKind.COMMENT, obj, sql.comment_sync_function(schema, recorded), Hazard.SAFE,
                  "Marks the function as pgevolve's, with the promotion it serves; catalog-only.", relations=rel),
            draft(Phase.COLUMNS, StepKind.CREATE_SYNC_TRIGGER, obj, sql.create_sync_trigger(schema, trigger),
                  Hazard.SAFE, SYNC_TRIGGER, relations=rel),
        ]
    if change.backfill:
        steps.append(_backfill(change, ctx))
        if trigger.drop_key:
            steps.append(_drop_key(change, ctx))
    return steps


DROP_KEY = ("Removes the key from the JSON of every row that has it (drop_key), in batches like the "
            "backfill, resumable; the column holds the values now. Runs after the backfill and the index.")


def _drop_key(change: PromoteColumn, ctx: Context) -> Step:
    table, column, trigger = change.table, change.column, change.trigger
    source, key = quote_ident(trigger.source_column), quote_literal(trigger.key)
    qualified = ctx.scope.name(table)
    update, pending = f"UPDATE {qualified} SET {source} = {source} - {key}", f"{source} ? {key}"
    batch = Batched(
        target=f"drop_key {ctx.scope.schema}.{table}.{column.name}", table=qualified,
        key_columns=tuple(quote_ident(k) for k in change.key_columns),
        key_types=tuple(safe_type(SERIAL_TYPES.get(t.lower(), t)) for t in change.key_types),
        update=update, pending=pending, instance=column_instance(qualified, column.name),
        finish=sql.comment_sync_function(ctx.scope.schema, replace(trigger, backfilled=True)),
    )
    return draft(Phase.DROP_COLUMNS, StepKind.DROP_KEY, f"{table}.{trigger.source_column}.{trigger.key}",
                 f"{update} WHERE {pending}", Hazard.DESTRUCTIVE, DROP_KEY, transactional=False,
                 relations=(ctx.relation(table),), batch=batch)


def column_instance(qualified: str, column: str) -> str:
    """The column's identity (table oid and attnum): a column dropped and promoted again starts over."""
    return (f"SELECT attrelid::text || ':' || attnum FROM pg_attribute WHERE attrelid = "
            f"{quote_literal(qualified)}::regclass AND attname = {quote_literal(column)}")


def _backfill(change: PromoteColumn, ctx: Context) -> Step:
    table, column, trigger = change.table, change.column, change.trigger
    source, target = quote_ident(trigger.source_column), quote_ident(column.name)
    value = sql.value_expression(source, trigger.key, ctx.scope.type(column.type))
    qualified = ctx.scope.name(table)
    pending = f"{source} ? {quote_literal(trigger.key)} AND {target} IS DISTINCT FROM {value}"
    update = f"UPDATE {qualified} SET {target} = {value}"
    batch = Batched(
        target=f"backfill {ctx.scope.schema}.{table}.{column.name}", table=qualified,
        key_columns=tuple(quote_ident(k) for k in change.key_columns),
        key_types=tuple(safe_type(SERIAL_TYPES.get(t.lower(), t)) for t in change.key_types),
        update=update, pending=pending, instance=column_instance(qualified, column.name),
        # With drop_key, the promotion is done when the key is gone: the last step marks it.
        finish=None if trigger.drop_key else sql.comment_sync_function(ctx.scope.schema,
                                                                      replace(trigger, backfilled=True)),
        bounded=True,  # the sync trigger copies the key of every row inserted since it exists
    )
    return draft(Phase.BACKFILLS, StepKind.BACKFILL, f"{table}.{column.name}", f"{update} WHERE {pending}", Hazard.DATA,
                 BACKFILL if change.key_columns else BACKFILL_NO_KEY, transactional=False,
                 relations=(ctx.relation(table),), batch=batch)


def rename_sync_trigger(change: RenameSyncTrigger, ctx: Context) -> list[Step]:
    """The table was renamed: its sync trigger and function take their names from the new one."""
    sync = change.trigger
    obj, rel, schema = f"{sync.table}.{sync.column}", (ctx.relation(sync.table),), ctx.scope.schema
    steps = []
    if (statement := sql.rename_trigger(schema, sync)) is not None:
        steps.append(draft(Phase.RENAMES, StepKind.RENAME_SYNC_TRIGGER, obj, statement, Hazard.LOCKS,
                           "Named after the table's new name, as a fresh build names it. A brief ACCESS EXCLUSIVE "
                           "lock (already held when the table is renamed in the same transaction).", relations=rel))
    if (statement := sql.rename_function(schema, sync)) is not None:
        steps.append(draft(Phase.RENAMES, StepKind.RENAME_SYNC_FUNCTION, obj, statement, Hazard.SAFE,
                           "The sync trigger's function, named after the table too; catalog-only.", relations=rel))
    return steps


def drop_sync_trigger(change: DropSyncTrigger, ctx: Context) -> list[Step]:
    """promoted_from left the YAML: the trigger and its function go; the column and its data stay."""
    sync: model.SyncTrigger = change.trigger
    obj, rel, schema = f"{sync.table}.{sync.column}", (ctx.relation(sync.table),), ctx.scope.schema
    return [
        draft(Phase.DROP_CONSTRAINTS, StepKind.DROP_SYNC_TRIGGER, obj, sql.drop_sync_trigger(schema, sync), Hazard.SAFE,
              "The application writes the column itself now: the column stops following the JSON key. "
              "A brief SHARE ROW EXCLUSIVE lock; no row is touched.", relations=rel),
        draft(Phase.DROP_CONSTRAINTS, StepKind.DROP_SYNC_FUNCTION, obj, sql.drop_sync_function(schema, sync),
              Hazard.SAFE, "The sync trigger's function; catalog-only.", relations=rel),
    ]
