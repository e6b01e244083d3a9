"""The SQL of an online type change that plain DDL (``ddl``) does not cover.

One conversion (``converted``) is written in four places that must agree: the in-place
``ALTER COLUMN ... TYPE ... USING``, the sync trigger, the backfill and the pre-check. It is
the YAML's ``using:`` when there is one, an explicit cast where PostgreSQL has no assignment
cast (text -> integer, as the in-place step writes ``USING col::integer``), and otherwise the
column itself, converted by the assignment to the new type (which raises on a value too long
for ``varchar(n)`` rather than cutting it, as ALTER TYPE does).

The catalog tells where an interrupted online change stands from two markers: the sync trigger's
function carries ``pgevolve retype {json}`` (column, shadow, type, using, backfilled), and the old
column, once swapped out, ``pgevolve retired {json}`` (``catalog/queries/shadows.sql``).
"""

from __future__ import annotations

import json

from pgevolve import model
from pgevolve.sqltext.expression_facts import qualify_column_refs
from pgevolve.sqltext.fragments import dollar_quote, expression_sql
from pgevolve.sqltext.ident import qualify, quote_ident, quote_literal

RETYPE_PREFIX = "pgevolve retype "
RETIRED_PREFIX = "pgevolve retired "

# Settings a conversion may read (timestamp -> timestamptz reads TimeZone; to text: DateStyle, IntervalStyle,
# extra_float_digits, bytea_output). The trigger runs in the application's sessions, whose settings may
# differ from apply's (a JDBC session sets extra_float_digits = 3): the function takes apply's, so a row
# written by the application converts exactly as a backfilled one, and as ALTER TYPE would have.
_FROZEN_SETTINGS = ("TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits", "bytea_output")


def converted(column: str, new_type: str, using: str | None, *, explicit: bool, row: str | None = None) -> str:
    """The column's value converted to ``new_type`` (SQL text of the type); ``row``: the trigger's ``NEW``.

    ``explicit``: the pair has no assignment cast (``type_changes.Conversion.EXPLICIT``).
    """
    if using is not None:
        checked = expression_sql(using, "conversion (using:)")  # from the YAML, or the catalog's marker
        text = checked if row is None else qualify_column_refs(checked, row)
        if text is None:  # validation parsed it; a text that no longer parses is never pasted
            raise ValueError(f"the conversion {using!r} does not parse")
        return f"({text})"
    value = quote_ident(column) if row is None else f"{row}.{quote_ident(column)}"
    return f"CAST({value} AS {new_type})" if explicit else value


def needs_value(column: str, using: str | None) -> str:
    """Rows whose converted value is not NULL: a cast of NULL is NULL, a ``using:`` may not be."""
    if using is not None:
        return f"({expression_sql(using, 'conversion (using:)')}) IS NOT NULL"
    return f"{quote_ident(column)} IS NOT NULL"


def create_retype_function(schema: str, name: str, shadow: str, value: str, *, unchanged: str | None,
                           frozen: bool) -> str:
    """The function of the sync trigger: ``NEW.<shadow> := <value>`` on every row written.

    ``unchanged``: a condition on NEW and OLD that holds when an UPDATE leaves what the conversion reads as
    it was; such an UPDATE keeps a shadow already filled (the backfill's own UPDATE among them: the
    trigger then costs a comparison, not a conversion). ``frozen``: the conversion may read session
    settings or call functions: the function runs with apply's settings (TimeZone, DateStyle, ...) and
    the owned schema's search_path (nothing an application puts on its path is called), so a row the
    application writes converts exactly as a backfilled one, as ALTER TYPE would have converted it.
    """
    target = f"NEW.{quote_ident(shadow)}"
    body = "BEGIN\n"
    if unchanged is not None:
        body += (f"    IF TG_OP = 'UPDATE' AND {target} IS NOT NULL AND {unchanged} THEN\n"
                 "        RETURN NEW;\n    END IF;\n")
    body += f"    {target} := {value};\n    RETURN NEW;\nEND\n"
    settings = ""
    if frozen:
        settings = f" SET search_path = {quote_ident(schema)}, pg_temp" + "".join(
            f" SET {quote_ident(setting)} FROM CURRENT" for setting in _FROZEN_SETTINGS)
    function = f"CREATE FUNCTION {qualify(schema, name)}() RETURNS trigger LANGUAGE plpgsql{settings}"
    return f"{function} AS {dollar_quote(chr(10) + body)}"


def unchanged_condition(column: str) -> str:
    return f"NEW.{quote_ident(column)} IS NOT DISTINCT FROM OLD.{quote_ident(column)}"


# Conversions between these read no session setting (a timestamp or a float printed as text does).
_SETTING_FREE = frozenset({"smallint", "integer", "bigint", "numeric", "boolean", "uuid", "text", "character varying",
                           "character", "citext", "jsonb", "bit", "bit varying", "inet", "cidr", "macaddr"})
# Types without an equality operator: a changed value cannot be told by IS DISTINCT FROM.
_NO_EQUALITY = frozenset({"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"})


def reads_settings(old_base: str, new_base: str) -> bool:
    return not (old_base in _SETTING_FREE and new_base in _SETTING_FREE)


def comparable(base: str) -> bool:
    return base not in _NO_EQUALITY


def retype_marker(shadow: model.ShadowColumn) -> str:
    data = {"column": shadow.column, "shadow": shadow.shadow, "type": shadow.type, "using": shadow.using,
            "backfilled": shadow.backfilled}
    return RETYPE_PREFIX + json.dumps(data, sort_keys=True)


def comment_retype_function(schema: str, shadow: model.ShadowColumn) -> str:
    name = shadow.function
    return f"COMMENT ON FUNCTION {qualify(schema, name)}() IS {quote_literal(retype_marker(shadow))}"


def create_retype_trigger(schema: str, table: str, name: str) -> str:
    # Every INSERT and every UPDATE, not UPDATE OF the column: a ``using:`` may read other columns,
    # and a row the application writes is then always right, whichever columns it changed.
    return (f"CREATE TRIGGER {quote_ident(name)} BEFORE INSERT OR UPDATE ON {qualify(schema, table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {qualify(schema, name)}()")


def drop_retype_trigger(schema: str, table: str, name: str) -> str:
    return f"DROP TRIGGER IF EXISTS {quote_ident(name)} ON {qualify(schema, table)}"


def drop_retype_function(schema: str, name: str) -> str:
    return f"DROP FUNCTION IF EXISTS {qualify(schema, name)}()"


def retired_marker(retired: model.RetiredColumn) -> str:
    data = {"column": retired.replaced_by, "lossy": retired.lossy}
    return RETIRED_PREFIX + json.dumps(data, sort_keys=True)


def comment_retired(schema: str, retired: model.RetiredColumn) -> str:
    column = f"{qualify(schema, retired.table)}.{quote_ident(retired.name)}"
    return f"COMMENT ON COLUMN {column} IS {quote_literal(retired_marker(retired))}"


def lock_tables(schema: str, tables: list[str]) -> str:
    """Every table of a swap locked at once, in name order: no statement of the swap waits half-way."""
    names = ", ".join(qualify(schema, t) for t in sorted(set(tables)))
    return f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"


def add_identity_as(table: str, column: str, kind: model.IdentityKind, sequence: str, schema: str) -> str:
    """ADD GENERATED ... AS IDENTITY with its sequence named, so later statements can name it."""
    return (f"ALTER TABLE {qualify(schema, table)} ALTER COLUMN {quote_ident(column)} ADD GENERATED {kind} AS "
            f"IDENTITY (SEQUENCE NAME {qualify(schema, sequence)})")


def continue_sequence(table: str, column: str, sequence: str, schema: str, *, after: str | None) -> str:
    """Move ``sequence`` past the column's largest value and past where ``after`` (the old column, whose
    sequence the new one replaces) had got to, so no value is handed out twice."""
    qualified = qualify(schema, table)
    col = quote_ident(column)
    candidates = [f"max({col})"]
    if after is not None:
        old = f"pg_get_serial_sequence({quote_literal(qualified)}, {quote_literal(after)})"
        candidates.append(f"pg_sequence_last_value({old}::regclass)")
    highest = f"greatest({', '.join(candidates)})"
    # HAVING: setval refuses a value below the sequence's minimum (1); an empty table and an unused
    # sequence leave the new one at its start.
    return (f"SELECT setval({quote_literal(qualify(schema, sequence))}, {highest}) FROM {qualified} "
            f"HAVING {highest} >= 1")


def own_sequence(sequence: str, table: str, column: str, schema: str) -> str:
    return f"ALTER SEQUENCE {qualify(schema, sequence)} OWNED BY {qualify(schema, table)}.{quote_ident(column)}"
