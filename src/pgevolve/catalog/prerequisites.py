"""Which of the project's prerequisites (schema/prerequisites.sql) the target already has."""

from __future__ import annotations

import psycopg

from pgevolve import model
from pgevolve.sqltext.ident import quote_ident

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
