"""Objects in the owned schema that the format does not cover: reported, never touched."""

from __future__ import annotations

import psycopg

from pgevolve.catalog.introspect import QueryStats, read_only, run_query
from pgevolve.model import UnmanagedObject


def unmanaged_objects(conn: psycopg.Connection, schema: str,
                      *, stats: QueryStats | None = None) -> tuple[UnmanagedObject, ...]:
    """Views, functions, triggers, policies, partitions, standalone sequences, domains, ..."""
    # Same transaction setup as introspect: the details name tables as regclass
    # text, which is qualified or not depending on search_path.
    with read_only(conn, schema):
        rows = run_query(conn, "unmanaged", schema, stats)
    return tuple(UnmanagedObject(kind=r["kind"], name=r["name"], detail=r["detail"],
                                 depends_on=tuple((t, c) for t, c in r["depends_on"] or ()), setup=r["setup"])
                 for r in rows)
