"""The live database in: bulk catalog queries (queries/*.sql) into the model."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from pgevolve import model
from pgevolve.catalog.introspect import QueryStats, introspect, read_model
from pgevolve.catalog.snapshot import CatalogTimeouts, read_consistently
from pgevolve.catalog.unmanaged import read_unmanaged, unmanaged_objects

__all__ = ["Catalog", "CatalogTimeouts", "QueryStats", "introspect", "read_catalog", "unmanaged_objects"]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The owned schema and the objects pgevolve leaves alone, read from one snapshot."""

    database: model.Database
    unmanaged: tuple[model.UnmanagedObject, ...]
    server_version: int


def read_catalog(conn: psycopg.Connection, schema: str, *, timeouts: CatalogTimeouts | None = None,
                 stats: QueryStats | None = None) -> Catalog:
    """The model and the unmanaged objects of ``schema``, both from the same snapshot (``catalog.snapshot``)."""

    def read() -> Catalog:
        return Catalog(read_model(conn, schema, stats), read_unmanaged(conn, schema, stats),
                       conn.info.server_version)

    return read_consistently(conn, schema, read, timeouts)
