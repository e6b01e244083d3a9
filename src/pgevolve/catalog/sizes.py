"""How big the owned tables are: rows and bytes, to size the risk of a plan's steps in a pull request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

# Below this size a table is counted exactly (reading 10 MB is quick); above, the planner's estimate
# (pg_class.reltuples, kept by VACUUM and ANALYZE) is used, and said to be one.
EXACT_COUNT_BYTES = 10 * 1024 * 1024

_SIZES = """
SELECT c.relname::text, c.reltuples::bigint, pg_total_relation_size(c.oid), pg_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND c.relname = ANY (%(tables)s)
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSize:
    rows: int | None  # None: never analyzed and too big to count
    exact: bool
    bytes: int


def table_sizes(conn: psycopg.Connection, schema: str, tables: Iterable[str]) -> dict[str, TableSize]:
    """Rows (exact for small tables, else the estimate) and total size (with indexes and TOAST) per table."""
    wanted = sorted(set(tables))
    sizes: dict[str, TableSize] = {}
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        for name, estimate, total, heap in conn.execute(_SIZES, {"schema": schema, "tables": wanted}).fetchall():
            if heap <= EXACT_COUNT_BYTES:
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
                row = conn.execute(query).fetchone()
                sizes[name] = TableSize(rows=int(row[0]) if row else 0, exact=True, bytes=int(total))
            else:
                sizes[name] = TableSize(rows=int(estimate) if estimate >= 0 else None, exact=False, bytes=int(total))
    return sizes
