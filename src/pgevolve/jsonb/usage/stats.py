"""Key statistics of JSONB columns, read from a sample of each table.

Two queries per table, whatever the number of its JSONB columns: one counts
the sampled rows, the other walks the documents of every JSONB column
(``jsonb_each`` and ``jsonb_array_elements`` in a recursive CTE) and groups
the nodes three ways: per path and JSON type, per path and row, per path and
scalar value. Both run in one REPEATABLE READ snapshot, and ``TABLESAMPLE
SYSTEM ... REPEATABLE (seed)`` picks the same blocks for both, so their
counts agree.

Top-level keys are read in every sampled row. Nested keys and array elements
multiply the work (a lead's communications hold some 200 values), so they are
read in a sub-sample of at most DEEP_SAMPLE_ROWS of those rows, chosen by a
hash of their ctid; each path's share is over the rows it was read in.

Paths are relative to the column: ``referral_source``, ``household.size``;
array elements are ``[]``, so the keys of a ``communications`` array of
objects are ``[].channel``. The column's whole value is the empty path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from pgevolve.jsonb.usage.paths import path_segments

# About 100k rows give every share within half a point (the binomial standard
# error at 100k rows is at most 0.16 points) and still read in seconds.
TARGET_SAMPLE_ROWS = 100_000
# Nested keys and array elements are read in at most this many of the sampled rows: 10k rows keep
# their shares within a point (binomial standard error at most 0.5 points) for a tenth of the work.
DEEP_SAMPLE_ROWS = 10_000
# Deeper nodes are not walked: a runaway document (a JSON tree of logs) must
# not make the walk explode; eight levels cover any hand-designed structure.
MAX_DEPTH = 8
# Tags shown for a tags-like column (a JSON array of strings).
TOP_VALUES = 10

SCALAR_TYPES = ("string", "integer", "number", "boolean")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """Which rows of a table were read."""

    percent: float | None  # TABLESAMPLE SYSTEM percentage; None: every row
    seed: int
    rows_read: int
    estimated_rows: int  # the planner's estimate of the whole table (rows_read when every row is read)
    deep_rows: int  # the rows of the sample where nested keys and array elements were read

    def scale(self, rows: int) -> float:
        """How many rows of the table one of `rows` sampled rows stands for."""
        return max(1.0, self.estimated_rows / rows) if rows else 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeCount:
    type: str  # a JSON type (string, number, boolean, null, object, array), or "integer": a number without a fraction
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueCount:
    value: str
    count: int  # occurrences in the sample


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyStats:
    """One path inside a JSONB column, over the sampled rows."""

    path: str
    rows: int  # sampled rows where the path occurs at least once
    sampled_rows: int  # rows it was looked for in: the sample, or its sub-sample for nested paths
    occurrences: int  # values at the path (more than rows inside arrays)
    types: tuple[TypeCount, ...]  # most frequent first
    avg_bytes: float  # of the value as jsonb (pg_column_size), uncompressed
    array_length_avg: float | None = None  # of the values that are arrays
    array_length_max: int | None = None
    distinct_in_sample: int | None = None  # scalar values only
    distinct_estimate: int | None = None  # scaled to the whole table (ANALYZE's Duj1 estimator)
    top_values: tuple[ValueCount, ...] = ()  # only for the strings of a tags-like column

    @property
    def segments(self) -> tuple[str, ...]:
        """The keys along the path, '[]' for array elements."""
        return path_segments(self.path)

    @property
    def in_array(self) -> bool:
        """Inside array elements: it belongs to the elements, not to the row."""
        return "[]" in self.segments

    @property
    def top_level(self) -> bool:
        """A key of the column's own object: what `pgevolve promote` can move into a column."""
        segments = self.segments
        return len(segments) == 1 and segments[0] != "[]"

    @property
    def dominant_type(self) -> str:
        """The most frequent non-null JSON type; integers and fractions together count as 'number'."""
        return dominant_json_type(self.types)[0]

    @property
    def type_share(self) -> float:
        """Share of the non-null values that have the dominant type: 1.0 is perfectly consistent."""
        return dominant_json_type(self.types)[1]

    @property
    def null_count(self) -> int:
        return sum(t.count for t in self.types if t.type == "null")


def dominant_json_type(types: Sequence[TypeCount]) -> tuple[str, float]:
    """(the most frequent non-null JSON type, its share); integers and fractions together are 'number'."""
    counts = {t.type: t.count for t in types if t.type != "null"}
    if "integer" in counts and "number" in counts:
        counts["number"] += counts.pop("integer")
    total = sum(counts.values())
    if total == 0:
        return "null", 1.0
    name, count = max(sorted(counts.items()), key=lambda item: item[1])
    return name, count / total


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnStats:
    table: str
    column: str
    sample: Sample
    rows_nonnull: int  # sampled rows where the column is not SQL NULL
    avg_stored_bytes: float  # pg_column_size: after compression, as stored
    keys: tuple[KeyStats, ...]  # sorted by path; the column's own value is path ''

    def key(self, path: str) -> KeyStats | None:
        return next((k for k in self.keys if k.path == path), None)

    def share(self, stats: KeyStats) -> float:
        """Share of the rows that have this path."""
        return stats.rows / stats.sampled_rows if stats.sampled_rows else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonbTable:
    """A table of the owned schema and its JSONB columns, in column order."""

    name: str
    columns: tuple[str, ...]


_JSONB_COLUMNS = """
SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_catalog.pg_attribute AS a
JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s
  AND c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
  AND a.atttypid = 'pg_catalog.jsonb'::pg_catalog.regtype
  AND (%(table)s::text IS NULL OR c.relname = %(table)s)
  AND (%(column)s::text IS NULL OR a.attname = %(column)s)
GROUP BY c.relname
ORDER BY c.relname
"""


def find_jsonb_columns(conn: psycopg.Connection, schema: str, table: str | None = None,
                       column: str | None = None) -> list[JsonbTable]:
    """The JSONB columns of the owned schema (one catalog query), optionally of one table or column."""
    rows = conn.execute(_JSONB_COLUMNS, {"schema": schema, "table": table, "column": column}).fetchall()
    return [JsonbTable(name=name, columns=tuple(columns)) for name, columns in rows]


def estimate_rows(conn: psycopg.Connection, schema: str, table: str) -> int:
    """The planner's row estimate: reltuples scaled to the table's current size, even if never analyzed."""
    query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {}").format(sql.Identifier(schema, table))
    row = conn.execute(query).fetchone()
    plan = row[0] if row else None
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0


def choose_sample_percent(estimated_rows: int, requested: float | None) -> float | None:
    """TABLESAMPLE percentage: the requested one, else enough for about TARGET_SAMPLE_ROWS; None: read all."""
    if requested is not None:
        if not 0 < requested <= 100:
            raise ValueError(f"sample percentage must be in (0, 100], got {requested}")
        return None if requested >= 100 else requested
    if estimated_rows <= TARGET_SAMPLE_ROWS:
        return None
    return 100.0 * TARGET_SAMPLE_ROWS / estimated_rows


def sample_source(schema: str, table: str, percent: float | None, seed: int) -> sql.Composable:
    """`schema.table AS t`, with its TABLESAMPLE clause when sampled."""
    relation = sql.SQL("{} AS t").format(sql.Identifier(schema, table))
    if percent is None:
        return relation
    return sql.SQL("{} TABLESAMPLE SYSTEM ({}) REPEATABLE ({})").format(
        relation, sql.Literal(float(percent)), sql.Literal(seed))


def count_sample(conn: psycopg.Connection, schema: str, table: JsonbTable, percent: float | None,
                 seed: int) -> tuple[int, dict[str, tuple[int, float]]]:
    """Rows in the sample, and per column (non-null rows, average stored size)."""
    parts: list[sql.Composable] = [sql.SQL("count(*)")]
    for name in table.columns:
        ident = sql.Identifier("t", name)
        parts += [sql.SQL("count({})").format(ident),
                  sql.SQL("coalesce(avg(pg_catalog.pg_column_size({})), 0)::float8").format(ident)]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(parts),
                                                 sample_source(schema, table.name, percent, seed))
    row = conn.execute(query).fetchone()
    assert row is not None
    per_column = {name: (int(row[1 + 2 * i]), float(row[2 + 2 * i])) for i, name in enumerate(table.columns)}
    return int(row[0]), per_column


_WALK = """
WITH RECURSIVE sampled_rows AS (
    SELECT t.ctid AS rid, {deep} AS deep, {columns} FROM {source}
),
sampled AS (
    SELECT s.rid, s.deep, d.col, d.doc
    FROM sampled_rows AS s
    CROSS JOIN LATERAL (VALUES {documents}) AS d(col, doc)
    WHERE d.doc IS NOT NULL
),
walk(col, rid, deep, path, depth, kind, value) AS (
    SELECT col, rid, deep, ''::text, 0, jsonb_typeof(doc), doc FROM sampled
    UNION ALL
    SELECT w.col, w.rid, w.deep, w.path || c.step, w.depth + 1, jsonb_typeof(c.value), c.value
    FROM walk AS w
    CROSS JOIN LATERAL (
        SELECT CASE WHEN w.path = '' THEN '' ELSE '.' END
               || CASE WHEN e.key ~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN e.key ELSE to_jsonb(e.key)::text END,
               e.value
        FROM jsonb_each(CASE WHEN w.kind = 'object' THEN w.value END) AS e
        UNION ALL
        SELECT '[]', a.value
        FROM jsonb_array_elements(CASE WHEN w.kind = 'array' THEN w.value END) AS a
    ) AS c(step, value)
    -- Only containers are expanded; outside the sub-sample, only the top-level object.
    WHERE w.depth < {max_depth} AND w.kind IN ('object', 'array') AND (w.deep OR (w.depth = 0 AND w.kind = 'object'))
),
nodes AS MATERIALIZED (
    SELECT col, rid, path,
           CASE WHEN kind = 'number' AND value::numeric <> trunc(value::numeric) THEN 'number'
                WHEN kind = 'number' THEN 'integer'
                ELSE kind
           END AS jtype,
           pg_column_size(value) AS bytes,
           CASE WHEN kind = 'array' THEN jsonb_array_length(value) END AS alen,
           CASE WHEN kind NOT IN ('object', 'array') THEN value END AS scalar
    FROM walk
),
by_type AS (
    SELECT col, path, jtype, count(*) AS n, sum(bytes) AS bytes, avg(alen)::float8 AS alen_avg, max(alen) AS alen_max
    FROM nodes GROUP BY col, path, jtype
),
by_row AS (
    SELECT col, path, count(*) AS nrows FROM (SELECT DISTINCT col, path, rid FROM nodes) AS d GROUP BY col, path
),
by_value AS (
    SELECT col, path, scalar, count(*) AS n FROM nodes WHERE scalar IS NOT NULL GROUP BY col, path, scalar
)
SELECT 'type' AS kind, col, path, jtype, n, bytes, alen_avg, alen_max,
       NULL::bigint AS d, NULL::bigint AS f1, NULL::text[] AS top, NULL::bigint[] AS top_n
FROM by_type
UNION ALL
SELECT 'rows', col, path, NULL, nrows, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM by_row
UNION ALL
SELECT 'values', col, path, NULL, sum(n), NULL, NULL, NULL, count(*), count(*) FILTER (WHERE n = 1),
       (array_agg(scalar #>> '{{}}' ORDER BY n DESC, scalar #>> '{{}}')
            FILTER (WHERE path = '[]' AND jsonb_typeof(scalar) = 'string'))[1:{top}],
       (array_agg(n ORDER BY n DESC, scalar #>> '{{}}')
            FILTER (WHERE path = '[]' AND jsonb_typeof(scalar) = 'string'))[1:{top}]
FROM by_value
GROUP BY col, path
"""


def walk_query(schema: str, table: JsonbTable, sample: Sample) -> sql.Composed:
    """The one query that walks the JSONB documents of the table's sample."""
    names = [f"c{i}" for i in range(len(table.columns))]  # the user's column names may be anything
    columns = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.Identifier("t", column), sql.Identifier(name))
        for column, name in zip(table.columns, names, strict=True))
    documents = sql.SQL(", ").join(
        sql.SQL("({}, s.{})").format(sql.Literal(column), sql.Identifier(name))
        for column, name in zip(table.columns, names, strict=True))
    deep: sql.Composable = sql.SQL("true")
    if sample.deep_rows < sample.rows_read:
        # A pseudo-random subset that is the same on every run: the rows whose ctid hashes first.
        deep = sql.SQL("row_number() OVER (ORDER BY md5(t.ctid::text)) <= {}").format(sql.Literal(sample.deep_rows))
    return sql.SQL(_WALK).format(source=sample_source(schema, table.name, sample.percent, sample.seed),
                                 columns=columns, documents=documents, deep=deep,
                                 max_depth=sql.Literal(MAX_DEPTH), top=sql.Literal(TOP_VALUES))


def is_deep(path: str) -> bool:
    """Read in the sub-sample only: anything but the column's value and its top-level keys."""
    segments = path_segments(path)
    return len(segments) > 1 or segments == ("[]",)


def estimate_distinct(distinct: int, singletons: int, sampled: int, total: int) -> int:
    """ANALYZE's Duj1 estimator (Haas and Stokes): n*d / (n - f1 + f1*n/N), kept within [d, N]."""
    if total <= sampled or sampled == 0:
        return distinct
    denominator = sampled - singletons + singletons * sampled / total
    estimate = total if denominator <= 0 else sampled * distinct / denominator
    return int(round(min(max(estimate, distinct), total)))


@dataclass(slots=True)
class _Acc:
    rows: int = 0
    alen_avg: float | None = None
    alen_max: int | None = None
    distinct: int | None = None
    singletons: int | None = None
    values_n: int | None = None
    top: tuple[ValueCount, ...] = ()
    types: list[TypeCount] = field(default_factory=list)
    bytes: int = 0


def read_keys(conn: psycopg.Connection, schema: str, table: JsonbTable, sample: Sample) -> dict[str, list[KeyStats]]:
    """Per column, the statistics of every path found in the sample."""
    found: dict[tuple[str, str], _Acc] = {}
    for row in conn.execute(walk_query(schema, table, sample)):
        kind, column, path, jtype, n, nbytes, alen_avg, alen_max, d, f1, top, top_n = row
        acc = found.setdefault((column, path), _Acc())
        if kind == "type":
            acc.types.append(TypeCount(type=jtype, count=int(n)))
            acc.bytes += int(nbytes)
            if jtype == "array":
                acc.alen_avg, acc.alen_max = float(alen_avg), int(alen_max)
        elif kind == "rows":
            acc.rows = int(n)
        else:
            acc.distinct, acc.singletons, acc.values_n = int(d), int(f1), int(n)
            acc.top = tuple(ValueCount(value=v, count=int(c)) for v, c in zip(top or (), top_n or (), strict=True))
    result: dict[str, list[KeyStats]] = {name: [] for name in table.columns}
    for (column, path), acc in sorted(found.items()):
        occurrences = sum(t.count for t in acc.types)
        sampled_rows = sample.deep_rows if is_deep(path) else sample.rows_read
        estimate = None
        if acc.distinct is not None and acc.singletons is not None and acc.values_n is not None:
            total = int(round(acc.values_n * sample.scale(sampled_rows)))
            estimate = estimate_distinct(acc.distinct, acc.singletons, acc.values_n, total)
        result[column].append(KeyStats(
            path=path, rows=acc.rows, sampled_rows=sampled_rows, occurrences=occurrences,
            types=tuple(sorted(acc.types, key=lambda t: (-t.count, t.type))),
            avg_bytes=acc.bytes / occurrences if occurrences else 0.0,
            array_length_avg=acc.alen_avg, array_length_max=acc.alen_max,
            distinct_in_sample=acc.distinct, distinct_estimate=estimate, top_values=acc.top,
        ))
    return result
