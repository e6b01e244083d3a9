"""Which of the project's prerequisites (schema/prerequisites.sql) the target already has."""

from __future__ import annotations

from typing import Any

import psycopg

from pgevolve import model
from pgevolve.sqltext.ident import quote_ident, sequence_name
from pgevolve.sqltext.prerequisites import parse_prerequisites

# How the server looks each kind up by the name the prerequisite gives it (NULL when absent).
_LOOKUP = {
    "function": "to_regprocedure(%s)",
    "procedure": "to_regprocedure(%s)",
    "domain": "to_regtype(%s)",
    "type": "to_regtype(%s)",
    "sequence": "to_regclass(%s)",
    "schema": "to_regnamespace(%s)",
}


def present_prerequisites(conn: psycopg.Connection, schema: str,
                          prerequisites: tuple[model.Prerequisite, ...]) -> tuple[model.Prerequisite, ...]:
    """The prerequisites that exist on the connected database (by kind and name; never compared further:
    their definitions are the DBA's). Unqualified argument types resolve in the owned schema, as in apply."""
    if not prerequisites:
        return ()
    lookups = ", ".join(f"{_LOOKUP[p.kind]} IS NOT NULL" for p in prerequisites)
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('search_path', %s, true)", (quote_ident(schema),))
        row = conn.execute(f"SELECT {lookups}", [p.name for p in prerequisites]).fetchone()  # noqa: S608
    found = row or ()
    return tuple(p for p, present in zip(prerequisites, found, strict=True) if present)


def read_prerequisites(conn: psycopg.Connection, schema: str,
                       others: tuple[str, ...] = ()) -> tuple[model.Prerequisite, ...]:
    """What the owned schemas' tables need that the format does not manage, as the statements that create it
    (``pgevolve import`` writes them to schema/prerequisites.sql): schemas first, then sequences, types,
    domains and functions, each by name. ``others``: the project's other owned schemas; every text is read
    with search_path the project's schema, as apply runs it."""
    from pgevolve.catalog.introspect import run_query
    from pgevolve.catalog.snapshot import read_consistently

    owned = (schema, *others)
    def read(owned_schema: str) -> list[dict[str, Any]]:
        return read_consistently(conn, schema, lambda: run_query(conn, "prerequisites", owned_schema, None))

    # An owned schema's enum types are the format's (enums: in pgevolve.yaml), but those it cannot declare
    # ('undeclarable enum': an empty value); its composite and range types are not.
    rows = [row for s in owned for row in read(s)
            if not _serial_sequence(row, owned) and not (row["kind"] == "enum" and row["schema"] in owned)]
    rows = _after_what_they_need(sorted({r["key"]: r for r in rows}.values(),
                                        key=lambda r: (r["rank"], r["schema"], r["name"], r["create"])))
    statements = [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(s)}"
                  for s in sorted({r["schema"] for r in rows} - set(owned))]
    statements += dict.fromkeys(r["create"].strip().rstrip(";") for r in rows)
    return parse_prerequisites(";\n\n".join(statements) + ";\n" if statements else "", schema)


def _after_what_they_need(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows in their order, but each after the rows it needs (``needs``: keys of other rows, or of
    objects that are not written): what a row needs is placed just before it."""
    by_key = {row["key"]: row for row in rows}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(row: dict[str, Any], visiting: set[str]) -> None:
        if row["key"] in placed or row["key"] in visiting:  # placed, or a cycle (PostgreSQL allows none)
            return
        visiting.add(row["key"])
        for need in row["needs"]:
            if need in by_key:
                place(by_key[need], visiting)
        placed.add(row["key"])
        ordered.append(row)

    for row in rows:
        place(row, set())
    return ordered


def _serial_sequence(row: dict[str, object], owned: tuple[str, ...]) -> bool:
    """A serial's own sequence (the format says ``serial``): owned by a column and named after it."""
    table, column = row["owner_table"], row["owner_column"]
    return (row["kind"] == "sequence" and row["schema"] in owned and isinstance(table, str)
            and isinstance(column, str) and row["name"] == sequence_name(table, column))
