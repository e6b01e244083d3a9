"""Evidence that JSON keys are filtered on: pg_stat_statements, and the scans of indexes on keys.

Two sources, each read in one query:

- pg_stat_statements (when the extension is installed in the database): the
  statements that apply a JSON operator to a column in WHERE, JOIN ... ON,
  HAVING, ORDER BY or GROUP BY, with their calls and total execution time.
  Their texts are normalized: the key literal becomes ``$n``, and statements
  that differ only in the key are merged into one entry, so such a statement
  is evidence for the *column*, not for a key.
- the indexes of the owned schema: an expression index on ``(col ->> 'key')``
  counts, in ``pg_stat_all_indexes.idx_scan``, the scans that filtered on
  exactly that key; a GIN index on the column serves ``@>``, ``?`` and jsonpath.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from pgevolve.jsonb.usage.sqlrefs import (
    CONTAINMENT_OPERATORS,
    EXISTENCE_OPERATORS,
    JSONPATH_OPERATORS,
    PATH_OPERATORS,
    JsonUse,
    find_json_uses,
    index_key_path,
)

# What a GIN operator class can answer (PostgreSQL's jsonb_ops and jsonb_path_ops).
_GIN_OPERATORS = {
    "jsonb_ops": CONTAINMENT_OPERATORS | EXISTENCE_OPERATORS | JSONPATH_OPERATORS,
    "jsonb_path_ops": CONTAINMENT_OPERATORS | JSONPATH_OPERATORS,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyIndex:
    """An index on a JSONB column: on one key (expression index) or on the whole column (GIN)."""

    table: str
    name: str
    column: str
    path: str | None  # the key of an expression index; None: the whole column
    operator: str | None  # of the expression: "->>", "->", ...
    method: str  # btree, gin, hash, ...
    opclass: str | None
    scans: int  # idx_scan since the statistics were reset
    partial: bool
    valid: bool

    def serves(self, use: JsonUse) -> bool:
        """Whether PostgreSQL can answer this use with this index."""
        if not self.valid or use.column != self.column or use.table != self.table:
            return False
        if self.path is None:
            return self.method == "gin" and use.operator in _GIN_OPERATORS.get(self.opclass or "", frozenset())
        return use.path == self.path and use.operator == self.operator


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementEvidence:
    """One pg_stat_statements entry that uses a JSONB column."""

    queryid: int
    query: str  # normalized by pg_stat_statements: literals are $n
    calls: int
    total_exec_ms: float
    rows: int
    uses: tuple[JsonUse, ...]  # its filters and sorts on this column
    served_by: tuple[str, ...]  # indexes that can serve its indexable uses
    maybe_served_by: tuple[str, ...] = ()  # expression indexes that serve it if its $n key is theirs

    @property
    def keys(self) -> tuple[str | None, ...]:
        return tuple(dict.fromkeys(u.path for u in self.uses if u.indexable))


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnEvidence:
    table: str
    column: str
    statements: tuple[StatementEvidence, ...]  # most calls first
    indexes: tuple[KeyIndex, ...]

    def statement_calls(self, path: str) -> int:
        """Calls of statements that filter or sort on this key, written literally."""
        return sum(s.calls for s in self.statements if any(u.indexable and u.path == path for u in s.uses))

    def index_scans(self, path: str) -> int:
        """Scans of the expression indexes on this key: each one filtered on exactly this key."""
        return sum(i.scans for i in self.indexes if i.path == path)

    def filter_calls(self, path: str) -> int:
        """Evidence that this key is filtered on; the two sources may count the same calls, so the larger."""
        return max(self.statement_calls(path), self.index_scans(path))

    @property
    def unknown_key_statements(self) -> tuple[StatementEvidence, ...]:
        """Statements that filter on a key of this column that pg_stat_statements did not record."""
        return tuple(s for s in self.statements if any(u.indexable and u.path is None for u in s.uses))

    @property
    def unknown_key_calls(self) -> int:
        return sum(s.calls for s in self.unknown_key_statements)

    @property
    def unexplained_calls(self) -> int:
        """Calls on an unrecorded key that the scans of the expression indexes do not account for.

        An expression index is only scanned for its own key, so its scans explain that many of the
        `col ->> $n` calls; the rest, and every containment or existence call, may be on any key.
        """
        by_path = sum(s.calls for s in self.unknown_key_statements
                      if any(u.indexable and u.path is None and u.operator in PATH_OPERATORS for u in s.uses))
        scans = sum(i.scans for i in self.indexes if i.path is not None)
        return max(0, by_path - scans) + self.unknown_key_calls - by_path

    def key_operators(self, path: str) -> tuple[str, ...]:
        """The operators the statements use on this key."""
        return tuple(sorted({u.operator for s in self.statements for u in s.uses if u.indexable and u.path == path}))

    def indexes_on(self, path: str | None) -> tuple[KeyIndex, ...]:
        return tuple(i for i in self.indexes if i.path == path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What was learned about filtering, and from where."""

    statements_available: bool
    message: str  # why there is no pg_stat_statements evidence, or what it covers
    stats_reset: datetime | None = None
    hidden_statements: int = 0  # texts this role may not read (<insufficient privilege>)
    unparsed_statements: int = 0
    columns: tuple[ColumnEvidence, ...] = ()

    def column(self, table: str, column: str) -> ColumnEvidence | None:
        return next((c for c in self.columns if c.table == table and c.column == column), None)


_EXTENSION = """
SELECT n.nspname FROM pg_catalog.pg_extension AS e
JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'
"""

_STATEMENTS = """
SELECT s.queryid, s.query, s.calls, s.{total}, s.rows
FROM {view} AS s
WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND (s.query LIKE ANY (%(patterns)s) OR s.query = '<insufficient privilege>')
ORDER BY s.calls DESC, s.queryid
"""

_INDEXES = """
SELECT t.relname, i.relname, am.amname, ix.indisvalid, ix.indpred IS NOT NULL,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
             FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k),
       ARRAY(SELECT opc.opcname::text FROM unnest(ix.indclass::oid[]) WITH ORDINALITY AS u(opc, k)
             JOIN pg_catalog.pg_opclass AS opc ON opc.oid = u.opc ORDER BY u.k),
       coalesce(s.idx_scan, 0)
FROM pg_catalog.pg_index AS ix
JOIN pg_catalog.pg_class AS i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class AS t ON t.oid = ix.indrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am AS am ON am.oid = i.relam
LEFT JOIN pg_catalog.pg_stat_all_indexes AS s ON s.indexrelid = ix.indexrelid
WHERE n.nspname = %(schema)s AND t.relname = ANY (%(tables)s)
ORDER BY t.relname, i.relname
"""


def read_key_indexes(conn: psycopg.Connection, schema: str,
                     jsonb_columns: Mapping[str, frozenset[str]]) -> list[KeyIndex]:
    """The indexes on JSONB columns or on keys of them, with their scan counts (one query)."""
    found: list[KeyIndex] = []
    rows = conn.execute(_INDEXES, {"schema": schema, "tables": sorted(jsonb_columns)}).fetchall()
    for table, name, method, valid, partial, keys, opclasses, scans in rows:
        columns = jsonb_columns.get(table, frozenset())
        keys_to_read = keys if method == "gin" else keys[:1]  # a btree serves a filter on its first key
        for position, key in enumerate(keys_to_read):
            opclass = opclasses[position] if position < len(opclasses) else None
            common = {"table": table, "name": name, "method": method, "opclass": opclass, "scans": int(scans),
                      "partial": bool(partial), "valid": bool(valid)}
            bare = key[1:-1].replace('""', '"') if key.startswith('"') else key
            if bare in columns:
                found.append(KeyIndex(column=bare, path=None, operator=None, **common))
                continue
            expression = index_key_path(key)
            if expression is not None and expression[0] in columns:
                found.append(KeyIndex(column=expression[0], operator=expression[1], path=expression[2], **common))
    return found


def collect_evidence(conn: psycopg.Connection, schema: str, jsonb_columns: Mapping[str, frozenset[str]],
                     *, array_columns: Iterable[tuple[str, str]] = ()) -> Evidence:
    """pg_stat_statements and index evidence for the JSONB columns (table -> columns) of the owned schema.

    ``array_columns`` are (table, column) whose values are JSON arrays: there ``tags ? 'vip'`` asks
    for an element, so its path is ``[]``, not the key ``vip``.
    """
    indexes = read_key_indexes(conn, schema, jsonb_columns)
    statements, meta = _read_statements(conn, jsonb_columns)
    arrays = set(array_columns)
    per_column: dict[tuple[str, str], list[StatementEvidence]] = {}
    unparsed = 0
    for queryid, query, calls, total, nrows in statements:
        uses = find_json_uses(query, jsonb_columns)
        if uses is None:
            unparsed += 1
            continue
        # Only filters and sorts are evidence: reading a key in the select list is not a reason to index it.
        uses = [_element_use(u) if (u.table, u.column) in arrays else u for u in uses if u.indexable]
        for (table, column), mine in _by_column(uses).items():
            served = tuple(sorted({i.name for i in indexes for u in mine if i.serves(u)}))
            maybe = tuple(sorted({i.name for i in indexes for u in mine
                                  if u.path is None and i.path is not None and i.valid
                                  and (i.table, i.column, i.operator) == (u.table, u.column, u.operator)}))
            per_column.setdefault((table, column), []).append(StatementEvidence(
                queryid=int(queryid), query=query, calls=int(calls), total_exec_ms=float(total), rows=int(nrows),
                uses=tuple(mine), served_by=served, maybe_served_by=maybe))
    columns = tuple(
        ColumnEvidence(table=table, column=column,
                       statements=tuple(per_column.get((table, column), ())),
                       indexes=tuple(i for i in indexes if i.table == table and i.column == column))
        for table in sorted(jsonb_columns) for column in sorted(jsonb_columns[table])
    )
    return replace(meta, unparsed_statements=unparsed, columns=columns)


def _element_use(use: JsonUse) -> JsonUse:
    """`tags ? 'vip'` (or `tags ? $1`) on an array asks whether an element is that string: a use of the elements."""
    if use.operator in EXISTENCE_OPERATORS and (use.path is None or "[]" not in use.path):
        return replace(use, path="[]")
    return use


def _by_column(uses: list[JsonUse]) -> dict[tuple[str, str], list[JsonUse]]:
    grouped: dict[tuple[str, str], list[JsonUse]] = {}
    for use in uses:
        grouped.setdefault((use.table, use.column), []).append(use)
    return grouped


def _like_pattern(name: str) -> str:
    return "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _read_statements(conn: psycopg.Connection,
                     jsonb_columns: Mapping[str, frozenset[str]]) -> tuple[list[tuple[Any, ...]], Evidence]:
    row = conn.execute(_EXTENSION).fetchone()
    if row is None:
        return [], Evidence(statements_available=False, message=_missing_statements(conn))
    extension_schema = row[0]
    patterns = sorted({_like_pattern(c) for columns in jsonb_columns.values() for c in columns})
    view = sql.Identifier(extension_schema, "pg_stat_statements")
    rows: list[tuple[Any, ...]] | None = None
    error = ""
    for total in ("total_exec_time", "total_time"):  # total_time before PostgreSQL 13
        query = sql.SQL(_STATEMENTS).format(total=sql.Identifier(total), view=view)
        try:
            with conn.transaction():
                rows = conn.execute(query, {"patterns": patterns}).fetchall()
            break
        except psycopg.errors.UndefinedColumn:
            continue
        except psycopg.Error as exc:
            error = str(exc).strip().splitlines()[0]
            break
    if rows is None:
        return [], Evidence(statements_available=False,
                            message=f"pg_stat_statements cannot be read: {error or 'unknown columns'}")
    hidden = sum(1 for r in rows if r[1] == "<insufficient privilege>")
    visible = [r for r in rows if r[1] != "<insufficient privilege>"]
    message = "pg_stat_statements: statements of this database since its last reset"
    if hidden:
        message += (f"; {hidden} statement(s) of other roles hidden (grant pg_read_all_stats to see them)")
    return visible, Evidence(statements_available=True, message=message,
                             stats_reset=_stats_reset(conn, extension_schema), hidden_statements=hidden)


def _missing_statements(conn: psycopg.Connection) -> str:
    """Why there is no pg_stat_statements evidence here, and the one step that would give it."""
    row = conn.execute(
        "SELECT 'pg_stat_statements' = ANY (string_to_array(current_setting('shared_preload_libraries'), ', ')), "
        "EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pg_stat_statements')").fetchone()
    preloaded, available = row if row else (False, False)
    if not available:
        return ("pg_stat_statements is not available on this server: install PostgreSQL's contrib extensions, add "
                "pg_stat_statements to shared_preload_libraries, restart, and CREATE EXTENSION pg_stat_statements "
                "to see which keys are filtered on")
    if not preloaded:
        return ("pg_stat_statements is not loaded: add it to shared_preload_libraries in postgresql.conf, restart "
                "the server, then CREATE EXTENSION pg_stat_statements in this database to see which keys are "
                "filtered on")
    return ("pg_stat_statements is loaded but not created in this database: CREATE EXTENSION pg_stat_statements "
            "to see which keys are filtered on")


def _stats_reset(conn: psycopg.Connection, extension_schema: str) -> datetime | None:
    """When pg_stat_statements was last reset (pg_stat_statements_info, PostgreSQL 14 and later)."""
    query = sql.SQL("SELECT stats_reset FROM {}").format(sql.Identifier(extension_schema, "pg_stat_statements_info"))
    try:
        with conn.transaction():
            row = conn.execute(query).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None
