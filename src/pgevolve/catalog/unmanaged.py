"""Objects in the owned schema that the format does not cover: reported, never touched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pgevolve.catalog.introspect import QueryStats, RawRows, as_dicts, run_query
from pgevolve.catalog.snapshot import CatalogTimeouts, read_consistently
from pgevolve.model import UnmanagedObject


def unmanaged_objects(conn: psycopg.Connection, schema: str, *, stats: QueryStats | None = None,
                      timeouts: CatalogTimeouts | None = None) -> tuple[UnmanagedObject, ...]:
    """Views, functions, triggers, policies, partitions, standalone sequences, domains, ..."""
    return read_consistently(conn, schema, lambda: read_unmanaged(conn, schema, stats), timeouts)


def read_unmanaged(conn: psycopg.Connection, schema: str,
                   stats: QueryStats | None = None) -> tuple[UnmanagedObject, ...]:
    """The query of ``unmanaged_objects``, inside a snapshot the caller opened.

    Same snapshot setup as introspect: the details name tables as regclass text,
    which is qualified or not depending on search_path.
    """
    return unmanaged_from_rows(run_query(conn, "unmanaged", schema, stats), run_query(conn, "indexes", schema, stats))


def unmanaged_from_rows(raw: RawRows | list[dict[str, Any]],
                        index_raw: RawRows | list[dict[str, Any]]) -> tuple[UnmanagedObject, ...]:
    """The objects of the rows of the unmanaged query, and the indexes (rows of the indexes query) that have
    an ``unmanaged_reason``: in the unmanaged query's order, by kind and name."""
    rows = as_dicts(raw) if isinstance(raw, tuple) else raw
    objects = [UnmanagedObject(kind=r["kind"], name=r["name"], detail=r["detail"],
                               depends_on=tuple((t, c) for t, c in r["depends_on"] or ()), setup=r["setup"])
               for r in rows]
    index_rows = as_dicts(index_raw) if isinstance(index_raw, tuple) else index_raw
    indexes = sorted((UnmanagedObject(kind="index", name=r["name"], detail=f"on {r['table_name']}: "
                                      f"{r['unmanaged_reason']}", depends_on=(), setup=None)
                      for r in index_rows if r["unmanaged_reason"] is not None and not r["in_partition"]),
                     key=lambda obj: obj.name)
    return tuple(sorted([*objects, *indexes], key=lambda obj: obj.kind))  # stable: names stay in order


@dataclass(frozen=True, slots=True, kw_only=True)
class HandProperty:
    """A property of an owned table or column that the format does not describe (queries/hand_properties.sql)."""

    kind: str  # "table" or "column"
    object: str  # "leads" or "leads.email"
    property: str  # "owner", "grants to app_reader", "storage parameter fillfactor", "statistics target", ...
    live: str | None
    expected: str | None  # what a fresh build from the YAML has; None: nothing


def hand_properties(conn: psycopg.Connection, schema: str) -> tuple[HandProperty, ...]:
    """Owners, grants, UNLOGGED, storage parameters, statistics targets that a fresh build would not have."""
    rows = read_consistently(conn, schema, lambda: run_query(conn, "hand_properties", schema, None))
    return tuple(HandProperty(**row) for row in rows)
