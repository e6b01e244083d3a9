"""A server error in words a DBA can act on: the message, its detail, and what to do for the usual causes."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors

from pgevolve.server.connect import mask_password


def server_message(exc: psycopg.Error) -> str:
    """'SQLSTATE message (detail)', password-masked."""
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return "the connection to the database was lost"
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    return mask_password(f"{exc.sqlstate or ''} {text}".strip())


def explain(exc: psycopg.Error, *, doing: str, role: str | None = None) -> str:
    """What failed while ``doing`` ("recording the apply in pgevolve.history"), why, and the usual remedy."""
    who = f"role {role!r}" if role else "connecting role"
    text = f"{doing} failed: {server_message(exc)}"
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return f"{text}. The {who} lacks a privilege this needs: grant it, or run pgevolve as a role that has it"
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return (f"{text}. The database accepts no writes (default_transaction_read_only is on, or it is a "
                "standby); point pgevolve at a writable primary")
    return text
