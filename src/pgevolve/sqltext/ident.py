"""Identifiers: quoting, PostgreSQL's default object names, the 63-byte limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from pgevolve.errors import UnsafeSql

if TYPE_CHECKING:
    from pgevolve import model

# NAMEDATALEN - 1: PostgreSQL silently truncates longer identifiers, so two
# long names could collide after truncation; the spec rejects them instead.
MAX_IDENTIFIER_BYTES = 63
_BARE = re.compile(r"[a-z_][a-z0-9_]*")


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    # pglast's package import costs a plan that never quotes a name (the no-op fast path) ~50 ms.
    from pglast import keywords

    return frozenset().union(keywords.RESERVED_KEYWORDS, keywords.UNRESERVED_KEYWORDS,
                             keywords.COL_NAME_KEYWORDS, keywords.TYPE_FUNC_NAME_KEYWORDS)


# The schema where pgevolve keeps its own tables (apply history, backfill progress): never a project's.
PGEVOLVE_SCHEMA = "pgevolve"


def quote_ident(name: str) -> str:
    """Always-quoted identifier: safe for any name, reserved words and mixed case included."""
    _refuse_nul(name, "a name")
    return '"' + name.replace('"', '""') + '"'


def _refuse_nul(text: str, what: str) -> None:
    if "\0" in text:
        raise UnsafeSql(f"{what} holds a NUL character, which PostgreSQL cannot store: {text!r}")


def qualify(schema: str | None, name: str) -> str:
    """schema-qualified, quoted name."""
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


def quote_literal(value: str) -> str:
    """A SQL string literal, read the same whatever ``standard_conforming_strings`` says.

    With the setting off, a backslash in a plain '...' literal escapes the next
    character, so ``'a\\'; DROP ...`` would end the literal early. Text with a
    backslash is therefore written in the escape-string form E'...', where
    backslashes are doubled and the meaning does not depend on the setting; other
    text keeps the plain form that PostgreSQL itself prints. NUL cannot be stored in
    PostgreSQL text at all and is refused.
    """
    _refuse_nul(value, "a string")
    doubled = value.replace("'", "''")
    if "\\" not in value:
        return f"'{doubled}'"
    return "E'" + doubled.replace("\\", "\\\\") + "'"


def quote_name(name: str) -> str:
    """An identifier quoted only when it must be (as PostgreSQL's quote_ident does): ``gin_trgm_ops``,
    ``"MyOps"``, ``"select"``.

    Bare only when it is lower case letters, digits and underscores, does not start with
    a digit, and is no keyword at all, so the bare text can only mean this one name.
    """
    if _BARE.fullmatch(name) and name not in _keywords():
        return name
    return quote_ident(name)


def too_long(name: str) -> bool:
    return len(name.encode()) > MAX_IDENTIFIER_BYTES


def _clip(text: str, max_bytes: int) -> str:
    """Cut to at most max_bytes of UTF-8 without splitting a character (pg_mbcliplen)."""
    encoded = text.encode()[:max_bytes]
    return encoded.decode(errors="ignore")


@lru_cache(maxsize=65536)  # a large schema asks for the same default names from compile, semantic and diff
def make_object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's makeObjectName: "name1_name2_label", cut to fit 63 bytes.

    Like the server, it shortens the longer of the two parts first, so the names
    pgevolve chooses are the ones PostgreSQL would have chosen itself.
    """
    overhead = len(label.encode()) + 1 if label else 0
    if name2:
        overhead += 1
    available = MAX_IDENTIFIER_BYTES - overhead
    len1 = len(name1.encode())
    len2 = len(name2.encode()) if name2 else 0
    while len1 + len2 > available:
        if len1 > len2:
            len1 -= 1
        else:
            len2 -= 1
    parts = [_clip(name1, len1)]
    if name2:
        parts.append(_clip(name2, len2))
    if label:
        parts.append(label)
    return "_".join(parts)


def _column_addition(columns: Sequence[str]) -> str:
    """ChooseIndexNameAddition: key names joined by '_', stopping once 63 bytes are reached."""
    joined = b""
    for column in columns:
        if joined:
            joined += b"_"
        joined += column.encode()[:MAX_IDENTIFIER_BYTES]
        if len(joined) > MAX_IDENTIFIER_BYTES:
            break
    return joined.decode(errors="ignore")


def column_addition(columns: Sequence[str]) -> str:
    """The middle part of a default name for these keys: what name2 of make_object_name gets."""
    return _column_addition(columns)


def primary_key_name(table: str) -> str:
    return make_object_name(table, None, "pkey")


def unique_name(table: str, columns: Sequence[str]) -> str:
    return make_object_name(table, _column_addition(columns), "key")


def foreign_key_name(table: str, columns: Sequence[str]) -> str:
    return make_object_name(table, _column_addition(columns), "fkey")


def check_name(table: str, column: str | None) -> str:
    return make_object_name(table, column, "check")


def index_name(table: str, keys: Sequence[str | None]) -> str:
    """Default index name; an expression key counts as "expr", as in PostgreSQL."""
    return make_object_name(table, _column_addition([k or "expr" for k in keys]), "idx")


def temporary_index_name(name: str) -> str:
    """Where a replacement index is built before it takes ``name``: "name_pgevolve_new", cut to fit 63 bytes."""
    return make_object_name(name, None, "pgevolve_new")


def sequence_name(table: str, column: str) -> str:
    """The sequence a serial column owns."""
    return make_object_name(table, column, "seq")


def shadow_column_name(column: str) -> str:
    """Where an online type change builds the column's new version: "column_pgevolve_new", cut to fit."""
    return make_object_name(column, None, "pgevolve_new")


def retired_column_name(column: str) -> str:
    """The old column once an online type change swapped the new one in: "column_pgevolve_old", cut to fit."""
    return make_object_name(column, None, "pgevolve_old")


def retype_name(table: str, column: str) -> str:
    """The sync trigger's and its function's name of an online type change: ``<table>_<column>_pgevolve_retype``."""
    return make_object_name(table, column, "pgevolve_retype")


def sync_name(table: str, column: str) -> str:
    """The trigger's and its function's name: ``<table>_<column>_promote``."""
    return make_object_name(table, column, "promote")


def trigger_name(trigger: model.SyncTrigger) -> str:
    """The trigger's name as the catalog has it (a renamed table keeps it), else the default."""
    return trigger.name or sync_name(trigger.table, trigger.column)


def function_name(trigger: model.SyncTrigger) -> str:
    return trigger.function or sync_name(trigger.table, trigger.column)


def misnamed(trigger: model.SyncTrigger) -> bool:
    """True when the catalog's trigger or function is not named after the trigger's (current) table."""
    default = sync_name(trigger.table, trigger.column)
    return trigger_name(trigger) != default or function_name(trigger) != default
