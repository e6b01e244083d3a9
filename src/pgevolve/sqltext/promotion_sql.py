"""The SQL of a promotion's sync trigger, shared by the planner and ``ddl.schema_sql``.

The trigger, the backfill and the cast pre-check convert a JSON value the same
way (``value_expression``), or the pre-check would pass values the backfill
rejects. The trigger's function carries a comment ``pgevolve promotion {json}``
naming the column, the source and the key, and whether existing rows have been
backfilled: that is how the catalog tells pgevolve's own trigger from a
hand-written one (``catalog/queries/promotions.sql``, ``unmanaged.sql``).
"""

from __future__ import annotations

import json

from pgevolve import model
from pgevolve.sqltext.ident import function_name, qualify, quote_ident, quote_literal, sync_name, trigger_name
from pgevolve.sqltext.type_names import SERIAL_TYPES

COMMENT_PREFIX = "pgevolve promotion "
_CHARACTER_TYPES = ("text", "character varying", "character", "varchar", "char", "bpchar", "citext", "name")


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
    return base in ("jsonb", "json", "text", "citext") or column_type.lower() == "character varying"


def sync_comment(trigger: model.SyncTrigger) -> str:
    data = {"column": trigger.column, "source_column": trigger.source_column, "key": trigger.key,
            "backfilled": trigger.backfilled}
    if trigger.drop_key:
        data["drop_key"] = True
    return COMMENT_PREFIX + json.dumps(data, sort_keys=True)


def create_sync_function(schema: str, trigger: model.SyncTrigger, column_type: str) -> str:
    """Copies the key into the column when the new row has it; a row without it keeps the column as written."""
    source = f"NEW.{quote_ident(trigger.source_column)}"
    value = value_expression(source, trigger.key, column_type)
    return (f"CREATE FUNCTION {qualify(schema, sync_name(trigger.table, trigger.column))}() RETURNS trigger "
            "LANGUAGE plpgsql AS $pgevolve$\nBEGIN\n"
            f"    IF {source} ? {quote_literal(trigger.key)} THEN\n"
            f"        NEW.{quote_ident(trigger.column)} := {value};\n"
            "    END IF;\n    RETURN NEW;\nEND\n$pgevolve$")


def comment_sync_function(schema: str, trigger: model.SyncTrigger) -> str:
    name = qualify(schema, sync_name(trigger.table, trigger.column))
    return f"COMMENT ON FUNCTION {name}() IS {quote_literal(sync_comment(trigger))}"


def create_sync_trigger(schema: str, trigger: model.SyncTrigger) -> str:
    name = sync_name(trigger.table, trigger.column)
    return (f"CREATE TRIGGER {quote_ident(name)} BEFORE INSERT OR UPDATE OF {quote_ident(trigger.source_column)} "
            f"ON {qualify(schema, trigger.table)} FOR EACH ROW EXECUTE FUNCTION {qualify(schema, name)}()")


def drop_sync_trigger(schema: str, trigger: model.SyncTrigger) -> str:
    return f"DROP TRIGGER IF EXISTS {quote_ident(trigger_name(trigger))} ON {qualify(schema, trigger.table)}"


def drop_sync_function(schema: str, trigger: model.SyncTrigger) -> str:
    return f"DROP FUNCTION IF EXISTS {qualify(schema, function_name(trigger))}()"


def rename_trigger(schema: str, trigger: model.SyncTrigger) -> str | None:
    """ALTER TRIGGER ... RENAME to the default name, when the catalog's differs (a table renamed since)."""
    default = sync_name(trigger.table, trigger.column)
    if trigger_name(trigger) == default:
        return None
    return (f"ALTER TRIGGER {quote_ident(trigger_name(trigger))} ON {qualify(schema, trigger.table)} "
            f"RENAME TO {quote_ident(default)}")


def rename_function(schema: str, trigger: model.SyncTrigger) -> str | None:
    default = sync_name(trigger.table, trigger.column)
    if function_name(trigger) == default:
        return None
    return f"ALTER FUNCTION {qualify(schema, function_name(trigger))}() RENAME TO {quote_ident(default)}"


def sync_statements(schema: str, trigger: model.SyncTrigger, column_type: str) -> list[str]:
    """Function, its comment, trigger: what builds one sync trigger."""
    return [create_sync_function(schema, trigger, column_type), comment_sync_function(schema, trigger),
            create_sync_trigger(schema, trigger)]
