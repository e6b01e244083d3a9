"""The live database in: bulk catalog queries (queries/*.sql) into the model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from pgevolve import model
from pgevolve.catalog.introspect import (
    MODEL_QUERIES,
    QueryStats,
    RawRows,
    fetch_model_rows,
    introspect,
    model_from_rows,
    run_raw_query,
)
from pgevolve.catalog.snapshot import _DISTURBED, CatalogTimeouts, read_consistently, snapshot
from pgevolve.catalog.unmanaged import unmanaged_from_rows, unmanaged_objects
from pgevolve.errors import ConnectionFailed
from pgevolve.server.connect import connect

__all__ = ["Catalog", "CatalogRows", "CatalogTimeouts", "QueryStats", "introspect", "read_catalog",
           "read_catalog_rows", "read_stamp", "unmanaged_objects"]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The owned schema and the objects pgevolve leaves alone, read from one snapshot."""

    database: model.Database
    unmanaged: tuple[model.UnmanagedObject, ...]
    server_version: int
    digest: str = ""  # CatalogRows.digest of the rows it was built from
    stamp: str = ""  # CatalogRows.stamp


@dataclass(frozen=True)
class CatalogRows:
    """What the catalog queries returned, before it is turned into the model."""

    schema: str
    server_version: int
    model_rows: dict[str, RawRows]
    unmanaged_rows: RawRows
    # The database's definitions stamp in the same snapshot (queries/stamp.sql); "" when not read:
    # only a read about to be recorded in sync with the YAML reads it (``read_catalog_rows``).
    stamp: str = ""

    @cached_property  # computed once: the pipeline checks it, then records it
    def digest(self) -> str:
        """A SHA-256 of every row, the schema and the server version: equal digests, equal catalogs.

        The rows hold PostgreSQL's own text of every type, default and expression (format_type,
        pg_get_expr), so a change the model would see changes the digest; repr() of plain rows is
        deterministic and runs in C, far cheaper than building the model.
        """
        stable = {name: _without_row_counts(rows) for name, rows in self.model_rows.items()}
        text = repr((self.schema, self.server_version, stable, self.unmanaged_rows))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_stamp(self, stamp: str) -> CatalogRows:
        """These rows with their stamp (the digest, when already computed, kept: it leaves the stamp out)."""
        stamped = replace(self, stamp=stamp)
        if "digest" in self.__dict__:
            stamped.__dict__["digest"] = self.__dict__["digest"]
        return stamped

    def build(self) -> Catalog:
        """The catalog as the model; KeyError when the rows disagree (read during concurrent DDL)."""
        return Catalog(model_from_rows(self.model_rows, self.schema), self.unmanaged(), self.server_version,
                       self.digest, self.stamp)

    def unmanaged(self) -> tuple[model.UnmanagedObject, ...]:
        """What the format does not cover (the indexes among them are rows of the indexes query)."""
        return unmanaged_from_rows(self.unmanaged_rows, self.model_rows["indexes"])


# The size estimates of the tables query (model.Table.row_count, compared by nothing): autovacuum changes
# them, and a catalog in sync with the YAML stays in sync whatever they say.
_ROW_COUNT_COLUMNS = frozenset({"reltuples", "heap_bytes"})


def _without_row_counts(raw: RawRows) -> RawRows:
    columns, rows = raw
    keep = [i for i, name in enumerate(columns) if name not in _ROW_COUNT_COLUMNS]
    if len(keep) == len(columns):
        return raw
    return tuple(columns[i] for i in keep), [tuple(row[i] for i in keep) for row in rows]


def read_catalog_rows(conn: psycopg.Connection, schema: str, *, timeouts: CatalogTimeouts | None = None,
                      stats: QueryStats | None = None, dsn: str | None = None,
                      stamp_if: Callable[[CatalogRows], bool] | None = None) -> CatalogRows:
    """The rows of every catalog query, all from one snapshot (``catalog.snapshot``).

    The definitions stamp is read, in the same snapshot, only when ``stamp_if`` says these rows will
    be recorded in sync with the YAML: a stamp is compared with nothing else, and it costs the server
    a pass over twenty-odd catalogs (~15 ms on an empty database) that every other read can skip.

    With ``dsn`` (the connection's own), the slowest query, the indexes (one deparse per key),
    runs meanwhile on a second connection that imports the same snapshot: the server works on
    two cores. Not inside a transaction the caller opened, nor on a standby, which export none.
    """
    side = dsn if dsn and conn.info.transaction_status == TransactionStatus.IDLE else None
    limits = timeouts or CatalogTimeouts()

    def read() -> CatalogRows:
        exported = _export_snapshot(conn) if side else None
        with ThreadPoolExecutor(max_workers=1) as pool:
            aside = (pool.submit(_side_queries, side, exported, _SIDE_QUERIES, schema, limits)
                     if side and exported else None)
            model_rows = {name: run_raw_query(conn, name, schema, stats) for name in MODEL_QUERIES
                          if aside is None or name not in _SIDE_QUERIES}
            unmanaged = run_raw_query(conn, "unmanaged", schema, stats)
            found = _side_result(aside) or {name: run_raw_query(conn, name, schema, stats) for name in _SIDE_QUERIES}
            model_rows = {name: model_rows.get(name) or found[name] for name in MODEL_QUERIES}
            rows = CatalogRows(schema, conn.info.server_version, model_rows, unmanaged)
            return rows.with_stamp(read_stamp(conn)) if stamp_if is not None and stamp_if(rows) else rows

    return read_consistently(conn, schema, read, limits)


# Run on the second connection: the slowest query (indexes deparse every expression key).
_SIDE_QUERIES = ("indexes",)


def read_stamp(conn: psycopg.Connection) -> str:
    """The database's definitions stamp (queries/stamp.sql): equal stamps, the same definitions."""
    return str(run_raw_query(conn, "stamp", "", None)[1][0][0])


def _export_snapshot(conn: psycopg.Connection) -> str | None:
    # A standby in recovery exports no snapshot (and an error would abort the read's transaction).
    row = conn.execute("SELECT CASE WHEN NOT pg_is_in_recovery() THEN pg_export_snapshot() END").fetchone()
    return str(row[0]) if row and row[0] else None


def _side_result(future: Future[dict[str, RawRows]] | None) -> dict[str, RawRows] | None:
    """The second connection's rows; None when they could not be had (no connection slot left, a pooler
    that cannot import the snapshot): the read's own connection then runs the queries."""
    if future is None:
        return None
    try:
        return future.result()
    except (pg_errors.LockNotAvailable, pg_errors.QueryCanceled, *_DISTURBED):
        raise  # what the read's own connection would meet too: reported or retried as there
    except (ConnectionFailed, psycopg.OperationalError, pg_errors.InvalidParameterValue,
            pg_errors.FeatureNotSupported, pg_errors.ObjectNotInPrerequisiteState):
        return None


def _side_queries(dsn: str, exported: str, names: tuple[str, ...], schema: str,
                  timeouts: CatalogTimeouts) -> dict[str, RawRows]:
    with connect(dsn) as side, snapshot(side, schema, timeouts, imported=exported):
        return {name: run_raw_query(side, name, schema, None) for name in names}


def read_catalog(conn: psycopg.Connection, schema: str, *, timeouts: CatalogTimeouts | None = None,
                 stats: QueryStats | None = None) -> Catalog:
    """The model and the unmanaged objects of ``schema``, both from the same snapshot (``catalog.snapshot``)."""

    def read() -> Catalog:
        rows = CatalogRows(schema, conn.info.server_version, fetch_model_rows(conn, schema, stats),
                           run_raw_query(conn, "unmanaged", schema, stats))
        return rows.build()  # inside the snapshot: a KeyError starts the read over

    return read_consistently(conn, schema, read, timeouts)
