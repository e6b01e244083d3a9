"""The live database in, as a ``model.Database``: one bulk query per object kind.

Runs in one snapshot (``catalog.snapshot``: REPEATABLE READ, read only, bounded
waits) with ``search_path`` set to the owned schema, so ``format_type`` and
``pg_get_expr`` print owned objects unqualified and everything else qualified:
the same text whether the catalog is the target's or the scratch database's
built from the YAML.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pgevolve import model
from pgevolve.catalog.snapshot import CatalogTimeouts, read_consistently
from pgevolve.sqltext import ident, storage

_ACTIONS: dict[str, model.ReferentialAction] = {
    "a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT",
}
_SERIAL = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
_REPLICA_IDENTITY: dict[str, model.ReplicaIdentity] = {"d": "default", "f": "full", "n": "nothing", "i": "index"}
# pg_index.indoption bits (see pg_index.h)
_INDOPTION_DESC = 1
_INDOPTION_NULLS_FIRST = 2


@dataclass
class QueryStats:
    """Counts the catalog queries an introspection issues."""

    queries: int = 0
    names: list[str] = field(default_factory=list)


_INCLUDE = re.compile(r"/\*include (\w+)\*/")


@cache
def query(name: str) -> str:
    """The text of catalog/queries/<name>.sql, each ``/*include other*/`` replaced by other.sql's text."""
    text = resources.files("pgevolve.catalog").joinpath("queries", f"{name}.sql").read_text()
    return _INCLUDE.sub(lambda found: f"({query(found[1]).rstrip()})", text)


def run_query(conn: psycopg.Connection, name: str, schema: str, stats: QueryStats | None) -> list[dict[str, Any]]:
    if stats is not None:
        stats.queries += 1
        stats.names.append(name)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query(name), {"schema": schema})
        return cur.fetchall()


def introspect(conn: psycopg.Connection, schema: str, *, stats: QueryStats | None = None,
               timeouts: CatalogTimeouts | None = None) -> model.Database:
    """Read the owned schema of the connected database into the model, in one snapshot."""
    return read_consistently(conn, schema, lambda: read_model(conn, schema, stats), timeouts)


MODEL_QUERIES = ("extensions", "enums", "tables", "columns", "constraints", "indexes", "promotions", "shadows")


def read_model(conn: psycopg.Connection, schema: str, stats: QueryStats | None = None) -> model.Database:
    """The queries of ``introspect``, inside a snapshot the caller opened (``catalog.snapshot``)."""
    return model_from_rows(fetch_model_rows(conn, schema, stats), schema)


# A query's result as it came: column names, then plain tuples (built in C; a digest of them is cheap).
RawRows = tuple[tuple[str, ...], list[tuple[Any, ...]]]


def run_raw_query(conn: psycopg.Connection, name: str, schema: str, stats: QueryStats | None) -> RawRows:
    if stats is not None:
        stats.queries += 1
        stats.names.append(name)
    with conn.cursor() as cur:
        cur.execute(query(name), {"schema": schema})
        rows = cur.fetchall()
        return tuple(c.name for c in cur.description or ()), rows


def as_dicts(raw: RawRows) -> list[dict[str, Any]]:
    names, rows = raw
    return [dict(zip(names, row, strict=True)) for row in rows]


def fetch_model_rows(conn: psycopg.Connection, schema: str, stats: QueryStats | None = None) -> dict[str, RawRows]:
    """The rows of every model query, by query name (inside a snapshot the caller opened)."""
    return {name: run_raw_query(conn, name, schema, stats) for name in MODEL_QUERIES}


def model_from_rows(raw: dict[str, RawRows], schema: str) -> model.Database:
    """The model of the rows of ``fetch_model_rows``; KeyError when two queries disagree (concurrent DDL)."""
    # Imported here: its expression parsing (pglast) is not needed by a plan the rows' digest settles.
    from pgevolve.catalog.shadows import set_aside

    rows = {name: as_dicts(result) for name, result in raw.items()}
    extensions, enums, tables, column_rows = rows["extensions"], rows["enums"], rows["tables"], rows["columns"]
    names = {(c["table_oid"], c["attnum"]): c["name"] for c in column_rows}
    columns = _by_table(column_rows)
    # The bulk queries also return partitions and inheritance children (plain
    # relkind 'r' tables); only the tables query decides what is managed.
    managed = {t["oid"] for t in tables}
    constraints = _by_table([_named_keys(c, names) for c in rows["constraints"]
                             if c["table_oid"] in managed and _managed_constraint({**c, "owned_schema": schema},
                                                                                  managed)])
    indexes = _by_table([i for i in rows["indexes"] if i["unmanaged_reason"] is None])  # others: unmanaged
    promotions = rows["promotions"]
    return set_aside(model.Database(
        schema=schema,
        extensions=model.sort_by_name(
            [model.Extension(name=e["name"], schema=None if e["schema"] == schema else e["schema"])
             for e in extensions]),
        enums=model.sort_by_name(
            [model.EnumType(name=e["name"], values=tuple(e["values"]), comment=e["comment"]) for e in enums]),
        tables=model.sort_by_name([
            _table(t, columns[t["oid"]], constraints[t["oid"]], [_index(i, names) for i in indexes[t["oid"]]],
                   schema) for t in tables
        ]),
        sync_triggers=tuple(sorted((_sync_trigger(p) for p in promotions), key=lambda s: (s.table, s.column))),
    ), rows["shadows"])


def _managed_constraint(row: dict[str, Any], managed: set[int]) -> bool:
    """A foreign key to a table that is not a plain one (a partitioned table, a partition, an inheritance
    child, an extension's), MATCH FULL, or ON DELETE SET NULL of some of its columns only, and a constraint
    NOT ENFORCED or temporal (WITHOUT OVERLAPS, PERIOD), are not in the format: unmanaged.sql reports them,
    and leaving them out here keeps plans off them. A plain table of another schema is referenced as
    ``schema.table``."""
    if row["unmanaged_reason"] is not None:  # constraint_unmanaged_reason.sql
        return False
    if row["type"] != "f":
        return True
    if row["match_type"] != "s" or row["partial_set"]:
        return False
    return bool(row["ref_oid"] in managed or (row["ref_schema"] != row.get("owned_schema") and row["ref_plain"]))


def _sync_trigger(row: dict[str, Any]) -> model.SyncTrigger:
    data = row["promotion"]
    return model.SyncTrigger(table=row["table_name"], column=data["column"], source_column=data["source_column"],
                             key=data["key"], backfilled=bool(data.get("backfilled")),
                             drop_key=bool(data.get("drop_key")), name=row["trigger_name"],
                             function=row["function_name"])


def _named_keys(row: dict[str, Any], names: dict[tuple[int, int], str]) -> dict[str, Any]:
    """The constraint row with its key attnums turned into column names."""
    table, ref = row["table_oid"], row["ref_oid"]
    columns = [names[(table, n)] for n in row["keys"] or ()]
    include = [names[(table, n)] for n in row["include_keys"] or () if n]
    if row["foreign_ref_columns"] is not None:
        ref_columns = list(row["foreign_ref_columns"])
    else:
        ref_columns = [names[(ref, n)] for n in row["ref_keys"] or ()]
    return {**row, "columns": columns, "ref_columns": ref_columns, "include": include}


def _by_table(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["table_oid"]].append(row)
    return grouped


def _table(row: dict[str, Any], columns: list[dict[str, Any]], constraints: list[dict[str, Any]],
           indexes: list[model.Index], schema: str) -> model.Table:
    name = row["name"]
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for con in constraints:
        by_type[con["type"]].append(con)
    primary = by_type["p"][0] if by_type["p"] else None
    return model.Table(
        name=name,
        columns=tuple(_column(name, c) for c in columns),
        primary_key=_primary_key(primary) if primary else None,
        uniques=model.sort_by_name([_unique(u) for u in by_type["u"]]),
        checks=model.sort_by_name([
            model.CheckConstraint(name=c["name"], expression=c["expression"], valid=c["valid"],
                                  no_inherit=c["no_inherit"]) for c in by_type["c"]]),
        foreign_keys=model.sort_by_name([_foreign_key(f, schema) for f in by_type["f"]]),
        indexes=model.sort_by_name(indexes),
        comment=row["comment"],
        storage=_storage([*(row["reloptions"] or ()), *(f"toast.{o}" for o in row["toast_reloptions"] or ())]),
        **_replica_identity(row, {c["name"] for c in constraints} | {i.name for i in indexes}),
        row_count=_row_count(row),
    )


# PostgreSQL's MaxHeapTuplesPerPage: no 8 kB heap page holds more than 291 rows (a row takes at least
# its 24-byte header and a 4-byte line pointer), so a never-analyzed table holds at most size / 28 rows.
_SMALLEST_ROW_BYTES = 28


def _row_count(row: dict[str, Any]) -> model.RowCount | None:
    if row.get("reltuples") is not None and row["reltuples"] >= 0:
        return model.RowCount(rows=int(row["reltuples"]))
    if row.get("heap_bytes") is not None:
        return model.RowCount(rows=int(row["heap_bytes"]) // _SMALLEST_ROW_BYTES, source="size")
    return None


def _storage(reloptions: list[str]) -> tuple[tuple[str, str], ...]:
    """The managed storage parameters in their canonical spelling; others are unmanaged (unmanaged.sql)."""
    found = []
    for option in reloptions:
        name, _, value = option.partition("=")
        if name in storage.TABLE_PARAMETERS:
            found.append((name, storage.canonical_value(name, value)))
    return tuple(sorted(found))


def _replica_identity(row: dict[str, Any], indexes: set[str]) -> dict[str, Any]:
    kind, index = _REPLICA_IDENTITY[row["replica_identity"]], row["replica_identity_index"]
    if kind == "index" and index is None:
        # USING INDEX whose index was dropped since: PostgreSQL then logs no old key, as with NOTHING.
        kind = "nothing"
    elif kind == "index" and index not in indexes:
        # On an index the model leaves out (unmanaged.sql says so): not modelled either, so hands off.
        kind, index = "default", None
    return {"replica_identity": kind, "replica_identity_index": index if kind == "index" else None}


def _primary_key(row: dict[str, Any]) -> model.PrimaryKey:
    return model.PrimaryKey(name=row["name"], columns=tuple(row["columns"]), include=tuple(row["include"]),
                            deferrable=row["deferrable"], initially_deferred=row["initially_deferred"])


def _unique(row: dict[str, Any]) -> model.UniqueConstraint:
    return model.UniqueConstraint(name=row["name"], columns=tuple(row["columns"]), include=tuple(row["include"]),
                                  nulls_not_distinct=row["nulls_not_distinct"], deferrable=row["deferrable"],
                                  initially_deferred=row["initially_deferred"])


def _column(table: str, row: dict[str, Any]) -> model.Column:
    type_, default = row["type"], row["default"]
    sequence = row["owned_sequence"]
    # A serial column is an integer whose default is nextval() of the sequence it
    # owns, named as PostgreSQL names it; spelled "serial" so both sides agree.
    if (sequence and row["identity"] is None and type_ in _SERIAL
            and sequence == ident.sequence_name(table, row["name"])
            and default == row["serial_default"]):
        type_, default = _SERIAL[type_], None
    return model.Column(
        name=row["name"],
        type=type_,
        nullable=row["nullable"],
        default=default,
        identity=row["identity"],
        generated=row["generated"],
        collation=row["collation"],
        comment=row["comment"],
    )


def _foreign_key(row: dict[str, Any], schema: str) -> model.ForeignKey:
    return model.ForeignKey(
        name=row["name"],
        columns=tuple(row["columns"]),
        ref_table=row["ref_table"],
        ref_columns=tuple(row["ref_columns"]),
        ref_schema=None if row["ref_schema"] == schema else row["ref_schema"],
        on_delete=_ACTIONS[row["on_delete"]],
        on_update=_ACTIONS[row["on_update"]],
        deferrable=row["deferrable"],
        initially_deferred=row["initially_deferred"],
        valid=row["valid"],
    )


def _index(row: dict[str, Any], names: dict[tuple[int, int], str]) -> model.Index:
    key_count, table = row["key_count"], row["table_oid"]
    attnums, expressions = row["keys"], row["expressions"]
    keys = []
    for position in range(key_count):
        attnum, option = attnums[position], row["options"][position]
        descending = bool(option & _INDOPTION_DESC)
        nulls_first = bool(option & _INDOPTION_NULLS_FIRST)
        keys.append(model.IndexKey(
            column=names[(table, attnum)] if attnum else None,
            expression=expressions[position] if not attnum else None,
            opclass=row["opclasses"][position],
            descending=descending,
            # NULLS FIRST is the default for DESC, NULLS LAST for ASC: record only a departure.
            nulls_first=None if nulls_first == descending else nulls_first,
        ))
    return model.Index(
        name=row["name"],
        keys=tuple(keys),
        unique=row["unique"],
        method=row["method"],
        where=row["where"],
        include=tuple(names[(table, n)] for n in attnums[key_count:] if n),
        nulls_not_distinct=row["nulls_not_distinct"],
        comment=row["comment"],
        valid=row["valid"],
    )
