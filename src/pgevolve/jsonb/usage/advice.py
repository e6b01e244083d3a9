"""What to do with each key: promote it to a column, index it in place, leave it, or give it a table.

The DBA's three homes for a piece of data are a custom field (a key in the
JSON), a real column, or a new relational table. The thresholds below decide
between them; each says why it is where it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from pgevolve.jsonb.usage.filters import ColumnEvidence
from pgevolve.jsonb.usage.paths import path_segments
from pgevolve.jsonb.usage.sqlrefs import CONTAINMENT_OPERATORS, EXISTENCE_OPERATORS, JSONPATH_OPERATORS
from pgevolve.jsonb.usage.stats import SCALAR_TYPES, ColumnStats, KeyStats
from pgevolve.sqltext.ident import quote_literal

# A column earns its place when most rows fill it. Below half, most rows would hold a NULL, and a
# partial expression index (WHERE col ? 'key') serves the filters at a fraction of the size.
PROMOTE_MIN_SHARE = 0.5
# The backfill casts every value to the column's type. One type everywhere converts cleanly; with
# more than 2% of other types the data needs cleaning before a typed column can hold it.
CONSISTENT_TYPE_SHARE = 0.98
# Calls (pg_stat_statements) or index scans since the statistics were last reset that make a key
# "filtered often". A key filtered less than this is not worth a schema change for its speed.
FILTERED_OFTEN = 100
# An array of objects has outgrown its row at ten elements per row on average: changing one element
# rewrites the whole array, and no foreign key, constraint or plain index reaches inside it.
NEW_TABLE_AVG_LENGTH = 10
# ... or when the array alone averages more than TOAST_TUPLE_THRESHOLD (about 2 kB): PostgreSQL then
# stores it compressed out of line, and reading any one element detoasts the whole array.
NEW_TABLE_AVG_BYTES = 2032

THRESHOLDS = {
    "promote_min_share": PROMOTE_MIN_SHARE,
    "consistent_type_share": CONSISTENT_TYPE_SHARE,
    "filtered_often_calls": FILTERED_OFTEN,
    "new_table_avg_length": NEW_TABLE_AVG_LENGTH,
    "new_table_avg_bytes": NEW_TABLE_AVG_BYTES,
}

# The column type a promoted key gets from the dominant JSON type of its values.
SQL_TYPES = {"string": "text", "integer": "bigint", "number": "numeric", "boolean": "boolean"}


class Action(StrEnum):
    PROMOTE = "promote"  # a real column, backfilled from the key
    PROMOTE_CANDIDATE = "promote_candidate"  # promote, if the filters whose key is unrecorded are on this key
    INDEX = "index"  # an expression or GIN index, the data stays in the JSON
    LEAVE = "leave"  # fine where it is
    NEW_TABLE = "new_table"  # an array of objects that should become its own table

    @property
    def label(self) -> str:
        """As the text report shows it."""
        return {"promote_candidate": "promote?", "new_table": "new table"}.get(self.value, self.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Advice:
    path: str
    action: Action
    reason: str
    suggestion: str | None = None  # the command or YAML that carries it out


def sql_type_for(stats: KeyStats) -> str:
    """The column type for a promoted key: text, bigint, numeric or boolean; text when unsure."""
    return SQL_TYPES.get(stats.dominant_type, "text")


def advise_column(stats: ColumnStats, evidence: ColumnEvidence | None) -> tuple[Advice, ...]:
    """Advice for the column's keys and arrays; paths inside array elements get none (see the array)."""
    advice: list[Advice] = []
    for key in stats.keys:
        if key.in_array and key.dominant_type != "array":
            continue
        if key.dominant_type == "array":
            advice.append(_array(stats, key, evidence))
        elif key.path:
            advice.append(_key(stats, key, evidence))
    return tuple(advice)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _type_words(key: KeyStats) -> str:
    kind = "a number" if key.dominant_type in ("integer", "number") else f"a {key.dominant_type}"
    if key.dominant_type == "integer":
        kind = "an integer"
    if key.type_share >= 0.9995:
        return f"always {kind}"
    return f"{kind} in {_pct(key.type_share)} of the values"


def _expression(column: str, path: str, operator: str = "->>") -> str:
    segments = path_segments(path)
    head = "".join(f"->{quote_literal(s)}" for s in segments[:-1])
    return f"{column}{head}{operator}{quote_literal(segments[-1])}"


def _key(stats: ColumnStats, key: KeyStats, evidence: ColumnEvidence | None) -> Advice:
    share = stats.share(key)
    dense = share >= PROMOTE_MIN_SHARE
    consistent = key.type_share >= CONSISTENT_TYPE_SHARE
    scalar = key.dominant_type in SCALAR_TYPES
    calls = evidence.filter_calls(key.path) if evidence else 0
    facts = f"in {_pct(share)} of rows, {_type_words(key)}"
    if calls >= FILTERED_OFTEN:
        return _filtered(stats, key, evidence, facts, calls, dense=dense, consistent=consistent, scalar=scalar)
    unknown = evidence.unexplained_calls if evidence else 0
    if dense and consistent and scalar and key.top_level and unknown >= FILTERED_OFTEN:
        return Advice(
            path=key.path, action=Action.PROMOTE_CANDIDATE,
            reason=(f"{facts}; {stats.column} is filtered by {unknown:,} calls whose key pg_stat_statements "
                    f"does not record (it replaces literals with $n): if they filter on '{key.path}', promote it. "
                    f"An expression index on ({_expression(stats.column, key.path)}) would serve them and "
                    "count its scans here"),
            suggestion=_promote_command(stats, key))
    why = "not filtered" if calls == 0 else f"filtered {calls:,} times (fewer than {FILTERED_OFTEN})"
    return Advice(path=key.path, action=Action.LEAVE, reason=f"{facts}; {why}")


def _filtered(stats: ColumnStats, key: KeyStats, evidence: ColumnEvidence | None, facts: str, calls: int, *,
              dense: bool, consistent: bool, scalar: bool) -> Advice:
    indexes = evidence.indexes_on(key.path) if evidence else ()
    indexed = f" (index {', '.join(i.name for i in indexes)})" if indexes else ""
    facts = f"{facts}; filtered {calls:,} times{indexed}"
    if dense and consistent and scalar and key.top_level:
        return Advice(path=key.path, action=Action.PROMOTE,
                      reason=f"{facts}: a real column gives it a type, statistics and a plain index",
                      suggestion=_promote_command(stats, key))
    if indexes:
        return Advice(path=key.path, action=Action.LEAVE, reason=f"{facts}: already indexed in place")
    why = [] if dense else ["sparse"]
    if not consistent:
        why.append("mixed types")
    if not key.top_level:
        why.append("nested (pgevolve promote moves top-level keys)")
    if not scalar:
        why.append(f"its values are {key.dominant_type}s")
    operators = set(evidence.key_operators(key.path)) if evidence else set()
    containment = operators and operators <= (CONTAINMENT_OPERATORS | EXISTENCE_OPERATORS | JSONPATH_OPERATORS)
    if containment:
        suggestion = _index_item(stats, f"columns: [{stats.column}], using: gin")
    else:
        item = f"expression: {json.dumps(_expression(stats.column, key.path))}"
        if not dense and key.top_level:
            item += f", where: {json.dumps(f'{stats.column} ? {quote_literal(key.path)}')}"
        suggestion = _index_item(stats, item)
    return Advice(path=key.path, action=Action.INDEX,
                  reason=f"{facts}, but {' and '.join(why) or 'not a plain value'}: index it in place",
                  suggestion=suggestion)


def _index_item(stats: ColumnStats, item: str) -> str:
    return f"under indexes: of table {stats.table}: - {{ {item} }}"


def _promote_command(stats: ColumnStats, key: KeyStats) -> str:
    return (f"pgevolve promote {stats.table}.{stats.column}.{key.path} --type {sql_type_for(key)} --index")


def _array(stats: ColumnStats, key: KeyStats, evidence: ColumnEvidence | None) -> Advice:
    elements = stats.key(f"{key.path}[]")
    length = key.array_length_avg or 0.0
    where = "the column" if not key.path else f"'{key.path}'"
    facts = (f"{where} holds {length:.1f} elements per row on average (at most {key.array_length_max or 0}), "
             f"{key.avg_bytes:,.0f} bytes")
    if elements is not None and elements.dominant_type == "object":
        if length >= NEW_TABLE_AVG_LENGTH or key.avg_bytes >= NEW_TABLE_AVG_BYTES:
            big = (f"{NEW_TABLE_AVG_LENGTH}+ elements" if length >= NEW_TABLE_AVG_LENGTH
                   else f"more than {NEW_TABLE_AVG_BYTES} bytes, stored out of line (TOAST)")
            return Advice(
                path=key.path, action=Action.NEW_TABLE,
                reason=(f"{facts}: an array of objects this large ({big}) has outgrown the row; every change "
                        "rewrites all of it. Give each element a row in its own table, with a foreign key "
                        f"to {stats.table}"),
                suggestion=(f"schema/tables/{_table_name(stats, key)}.yaml, one row per element, "
                            f"with a {_singular(stats.table)}_id foreign key to {stats.table}"))
        return Advice(path=key.path, action=Action.LEAVE, reason=f"{facts}: a short array of objects, fine in the row")
    calls = evidence.filter_calls(f"{key.path}[]") if evidence else 0
    gin = [i for i in (evidence.indexes_on(None) if evidence else ()) if i.method == "gin"]
    if calls >= FILTERED_OFTEN and not gin and not key.path:
        return Advice(path=key.path, action=Action.INDEX,
                      reason=f"{facts}; its elements are filtered {calls:,} times with no GIN index",
                      suggestion=_index_item(stats, f"columns: [{stats.column}], using: gin"))
    served = f" (GIN index {gin[0].name})" if gin else ""
    return Advice(path=key.path, action=Action.LEAVE,
                  reason=f"{facts}: a list of values, filtered with ? and @>{served}")


def _singular(table: str) -> str:
    return table[:-1] if table.endswith("s") and not table.endswith("ss") else table


def _table_name(stats: ColumnStats, key: KeyStats) -> str:
    last = path_segments(key.path)[-1] if key.path else stats.column
    return f"{_singular(stats.table)}_{last}"
