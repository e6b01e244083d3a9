"""The column type of a JSON key, from the values it holds in a live database (for promote)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from pgevolve.jsonb.usage.advice import CONSISTENT_TYPE_SHARE, SQL_TYPES
from pgevolve.jsonb.usage.stats import (
    TypeCount,
    choose_sample_percent,
    dominant_json_type,
    estimate_rows,
    sample_source,
)

_BIGINT_MAX = 2**63 - 1

_KEY_TYPES = """
SELECT jtype, count(*), max(abs(value::numeric)) FILTER (WHERE jtype = 'integer')
FROM (
    SELECT v AS value,
           CASE WHEN jsonb_typeof(v) = 'number' AND v::numeric <> trunc(v::numeric) THEN 'number'
                WHEN jsonb_typeof(v) = 'number' THEN 'integer'
                ELSE jsonb_typeof(v)
           END AS jtype
    FROM (SELECT t.{column} -> {key} AS v FROM {source}) AS picked
    WHERE v IS NOT NULL
) AS typed
GROUP BY jtype
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class InferredType:
    sql_type: str
    reason: str  # "database: string in 100% of 80,123 values"
    values: int  # how many values it was judged on; 0: the key holds no value yet


def infer_key_type(conn: psycopg.Connection, schema: str, table: str, column: str, key: str, *,
                   seed: int = 0) -> InferredType:
    """text, bigint, numeric or boolean after the dominant JSON type of the key (over a sample of the table)."""
    percent = choose_sample_percent(estimate_rows(conn, schema, table), None)
    query = sql.SQL(_KEY_TYPES).format(column=sql.Identifier(column), key=sql.Literal(key),
                                       source=sample_source(schema, table, percent, seed))
    rows = conn.execute(query).fetchall()
    types = tuple(TypeCount(type=jtype, count=int(count)) for jtype, count, _ in rows)
    largest = max((int(m) for _, _, m in rows if m is not None), default=0)
    return choose_type(types, largest_integer=largest)


def choose_type(types: tuple[TypeCount, ...], *, largest_integer: int = 0) -> InferredType:
    """The SQL type for values of these JSON types: one that every value converts to."""
    values = sum(t.count for t in types if t.type != "null")
    if values == 0:
        return InferredType(sql_type="text", reason="database: the key holds no value; text", values=0)
    dominant, share = dominant_json_type(types)
    facts = f"database: {dominant} in {share * 100:.0f}% of {values:,} values"
    if share >= CONSISTENT_TYPE_SHARE and dominant in ("object", "array"):
        return InferredType(sql_type="jsonb", reason=f"{facts}; structured values, so jsonb",
                            values=values)
    if share < CONSISTENT_TYPE_SHARE or dominant not in SQL_TYPES:
        # ->> gives every JSON value as text; a cast to a narrower type would fail on the others.
        return InferredType(sql_type="text", reason=f"{facts}; mixed types, so text", values=values)
    if dominant == "integer" and largest_integer > _BIGINT_MAX:
        return InferredType(sql_type="numeric", reason=f"{facts}, some beyond bigint", values=values)
    return InferredType(sql_type=SQL_TYPES[dominant], reason=facts, values=values)
