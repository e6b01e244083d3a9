"""Objects in the owned schema that the format does not cover: reported, never touched."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from pgevolve.catalog.introspect import QueryStats, read_only, run_query


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmanagedObject:
    kind: str  # "view", "function", "trigger", "partitioned table", ...
    name: str
    detail: str | None = None
    # Columns of owned tables it depends on, (table, column) or (table, None) for the whole table:
    # PostgreSQL will not drop or retype them while it exists.
    depends_on: tuple[tuple[str, str | None], ...] = ()
    # SQL that creates it again, for the scratch database that normalizes the desired schema
    # (standalone sequences, functions); not part of what the object is, so not compared.
    setup: str | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.detail})" if self.detail else "")


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
