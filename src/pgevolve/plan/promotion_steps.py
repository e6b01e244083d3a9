"""Steps of a promotion (``promoted_from``): sync trigger, batched backfill, and the trigger's removal.

The SQL of promotions is built here rather than in ``ddl`` because it is one
unit: the trigger, the backfill and the cast pre-check must convert a JSON
value the same way, or the pre-check would pass values the backfill rejects.
"""

from __future__ import annotations

import json

from pgevolve import model
from pgevolve.changes import DropSyncTrigger, PromoteColumn
from pgevolve.ident import make_object_name, qualify, quote_ident, quote_literal
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Batched, Hazard, Phase, Step
from pgevolve.plan.types import SERIAL_TYPES

COMMENT_PREFIX = "pgevolve promotion "  # catalog/queries/promotions.sql and unmanaged.sql look for it
_CHARACTER_TYPES = ("text", "character varying", "character", "varchar", "char", "bpchar", "citext", "name")

SYNC_TRIGGER = ("While the application still writes the JSON key, this BEFORE INSERT OR UPDATE trigger copies "
                "it into the column (a JSON value that does not cast makes that write fail, never a silent "
                "NULL; rows without the key keep the column as written). A brief SHARE ROW EXCLUSIVE lock. "
                "It stays until promoted_from is removed from the YAML.")
BACKFILL = ("Copies the JSON value into the column for existing rows, in primary-key batches of --batch-size "
            "rows (default 10000), each its own short transaction under lock_timeout, so a writer waits at most "
            "for one batch's row locks; progress is recorded in pgevolve.backfill_progress and a rerun after an "
            "interruption resumes after the last finished batch. Fails if a value does not cast (pre-checked "
            "with a count before anything runs).")
BACKFILL_NO_KEY = ("Copies the JSON value into the column for existing rows in ONE transaction: the table has no "
                   "primary key to cut batches by, so every updated row stays locked until it commits.")


def sync_name(table: str, column: str) -> str:
    """The trigger's and its function's name: ``<table>_<column>_promote``."""
    return make_object_name(table, column, "promote")


def value_expression(source: str, key: str, column_type: str) -> str:
    """``source ->> key`` converted to the column's type, the same way in trigger, backfill and pre-check.

    Character types take the text as it is and let the assignment to the column
    check the length (an explicit ``::varchar(n)`` would truncate silently).
    """
    base = column_type.split("(")[0].strip().lower()
    if base in ("jsonb", "json"):
        return f"({source} -> {quote_literal(key)})" + ("::json" if base == "json" else "")
    text = f"({source} ->> {quote_literal(key)})"
    if base in _CHARACTER_TYPES:
        return text
    return f"CAST({text} AS {SERIAL_TYPES.get(column_type.lower(), column_type)})"


def casts_silently(column_type: str) -> bool:
    """True when every JSON value converts: nothing for a cast pre-check to count."""
    base = column_type.split("(")[0].strip().lower()
    return base in ("jsonb", "json", "text", "citext") or column_type.lower() in ("character varying",)


def sync_comment(trigger: model.SyncTrigger) -> str:
    data = {"column": trigger.column, "source_column": trigger.source_column, "key": trigger.key,
            "backfilled": trigger.backfilled}
    return COMMENT_PREFIX + json.dumps(data, sort_keys=True)


def promote_column(change: PromoteColumn, ctx: Context) -> list[Step]:
    """Sync trigger (unless an interrupted apply left it), then the batched backfill."""
    table, column, promotion = change.table, change.column, change.promotion
    obj, rel = f"{table}.{column.name}", (ctx.relation(table),)
    steps: list[Step] = []
    if not change.sync_exists:
        name = ctx.scope.name(sync_name(table, column.name))
        trigger = model.SyncTrigger(table=table, column=column.name, source_column=promotion.source_column,
                                    key=promotion.key)
        steps += [
            draft(Phase.COLUMNS, "create_sync_function", obj, _sync_function(change, ctx), Hazard.SAFE,
                  "The function of the sync trigger below; catalog-only.", relations=rel),
            draft(Phase.COLUMNS, "comment", obj,
                  f"COMMENT ON FUNCTION {name}() IS {quote_literal(sync_comment(trigger))}", Hazard.SAFE,
                  "Marks the function as pgevolve's, with the promotion it serves; catalog-only.", relations=rel),
            draft(Phase.COLUMNS, "create_sync_trigger", obj,
                  f"CREATE TRIGGER {quote_ident(sync_name(table, column.name))} BEFORE INSERT OR UPDATE OF "
                  f"{quote_ident(promotion.source_column)} ON {ctx.scope.name(table)} FOR EACH ROW "
                  f"EXECUTE FUNCTION {name}()", Hazard.SAFE, SYNC_TRIGGER, relations=rel),
        ]
    steps.append(_backfill(change, ctx))
    return steps


def _sync_function(change: PromoteColumn, ctx: Context) -> str:
    promotion, column = change.promotion, change.column
    source = f"NEW.{quote_ident(promotion.source_column)}"
    value = value_expression(source, promotion.key, ctx.scope.type(column.type))
    return (f"CREATE FUNCTION {ctx.scope.name(sync_name(change.table, column.name))}() RETURNS trigger "
            "LANGUAGE plpgsql AS $pgevolve$\nBEGIN\n"
            f"    IF {source} ? {quote_literal(promotion.key)} THEN\n"
            f"        NEW.{quote_ident(column.name)} := {value};\n"
            "    END IF;\n    RETURN NEW;\nEND\n$pgevolve$")


def _backfill(change: PromoteColumn, ctx: Context) -> Step:
    table, column, promotion = change.table, change.column, change.promotion
    source, target = quote_ident(promotion.source_column), quote_ident(column.name)
    value = value_expression(source, promotion.key, ctx.scope.type(column.type))
    qualified = ctx.scope.name(table)
    pending = f"{source} ? {quote_literal(promotion.key)} AND {target} IS DISTINCT FROM {value}"
    update = f"UPDATE {qualified} SET {target} = {value}"
    done = model.SyncTrigger(table=table, column=column.name, source_column=promotion.source_column,
                             key=promotion.key, backfilled=True)
    finish = (f"COMMENT ON FUNCTION {ctx.scope.name(sync_name(table, column.name))}() IS "
              f"{quote_literal(sync_comment(done))}")
    instance = (f"SELECT attrelid::text || ':' || attnum FROM pg_attribute WHERE attrelid = "
                f"{quote_literal(qualified)}::regclass AND attname = {quote_literal(column.name)}")
    batch = Batched(
        target=f"backfill {ctx.scope.schema}.{table}.{column.name}", table=qualified,
        key_columns=tuple(quote_ident(k) for k in change.key_columns),
        key_types=tuple(SERIAL_TYPES.get(t.lower(), t) for t in change.key_types),
        update=update, pending=pending, instance=instance, finish=finish,
    )
    return draft(Phase.COLUMNS, "backfill", f"{table}.{column.name}", f"{update} WHERE {pending}", Hazard.DATA,
                 BACKFILL if change.key_columns else BACKFILL_NO_KEY, transactional=False,
                 relations=(ctx.relation(table),), batch=batch)


def drop_sync_trigger(change: DropSyncTrigger, ctx: Context) -> list[Step]:
    """promoted_from left the YAML: the trigger and its function go; the column and its data stay."""
    sync = change.trigger
    name = sync_name(sync.table, sync.column)
    obj, rel = f"{sync.table}.{sync.column}", (ctx.relation(sync.table),)
    return [
        draft(Phase.DROP_CONSTRAINTS, "drop_sync_trigger", obj,
              f"DROP TRIGGER IF EXISTS {quote_ident(name)} ON {ctx.scope.name(sync.table)}", Hazard.SAFE,
              "The application writes the column itself now: the column stops following the JSON key. "
              "A brief ACCESS EXCLUSIVE lock; no row is touched.", relations=rel),
        draft(Phase.DROP_CONSTRAINTS, "drop_sync_function", obj,
              f"DROP FUNCTION IF EXISTS {qualify(ctx.scope.schema, name)}()", Hazard.SAFE,
              "The sync trigger's function; catalog-only.", relations=rel),
    ]
