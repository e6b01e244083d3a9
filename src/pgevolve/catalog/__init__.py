"""The live database in: bulk catalog queries (queries/*.sql) into the model."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import psycopg

from pgevolve import model
from pgevolve.catalog.introspect import (
    QueryStats,
    RawRows,
    fetch_model_rows,
    introspect,
    model_from_rows,
    run_raw_query,
)
from pgevolve.catalog.snapshot import CatalogTimeouts, read_consistently
from pgevolve.catalog.unmanaged import unmanaged_from_rows, unmanaged_objects

__all__ = ["Catalog", "CatalogRows", "CatalogTimeouts", "QueryStats", "introspect", "read_catalog",
           "read_catalog_rows", "unmanaged_objects"]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The owned schema and the objects pgevolve leaves alone, read from one snapshot."""

    database: model.Database
    unmanaged: tuple[model.UnmanagedObject, ...]
    server_version: int
    digest: str = ""  # CatalogRows.digest of the rows it was built from


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """What the catalog queries returned, before it is turned into the model."""

    schema: str
    server_version: int
    model_rows: dict[str, RawRows]
    unmanaged_rows: RawRows

    @property
    def digest(self) -> str:
        """A SHA-256 of every row, the schema and the server version: equal digests, equal catalogs.

        The rows hold PostgreSQL's own text of every type, default and expression (format_type,
        pg_get_expr), so a change the model would see changes the digest; repr() of plain rows is
        deterministic and runs in C, far cheaper than building the model.
        """
        text = repr((self.schema, self.server_version, self.model_rows, self.unmanaged_rows))
        return hashlib.sha256(text.encode()).hexdigest()

    def build(self) -> Catalog:
        """The catalog as the model; KeyError when the rows disagree (read during concurrent DDL)."""
        return Catalog(model_from_rows(self.model_rows, self.schema), unmanaged_from_rows(self.unmanaged_rows),
                       self.server_version, self.digest)


def read_catalog_rows(conn: psycopg.Connection, schema: str, *, timeouts: CatalogTimeouts | None = None,
                      stats: QueryStats | None = None) -> CatalogRows:
    """The rows of every catalog query, all from one snapshot (``catalog.snapshot``)."""

    def read() -> CatalogRows:
        return CatalogRows(schema, conn.info.server_version, fetch_model_rows(conn, schema, stats),
                           run_raw_query(conn, "unmanaged", schema, stats))

    return read_consistently(conn, schema, read, timeouts)


def read_catalog(conn: psycopg.Connection, schema: str, *, timeouts: CatalogTimeouts | None = None,
                 stats: QueryStats | None = None) -> Catalog:
    """The model and the unmanaged objects of ``schema``, both from the same snapshot (``catalog.snapshot``)."""

    def read() -> Catalog:
        rows = CatalogRows(schema, conn.info.server_version, fetch_model_rows(conn, schema, stats),
                           run_raw_query(conn, "unmanaged", schema, stats))
        return rows.build()  # inside the snapshot: a KeyError starts the read over

    return read_consistently(conn, schema, read, timeouts)
