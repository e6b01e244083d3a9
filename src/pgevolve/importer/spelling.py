"""How SQL text and object names are written in the YAML and in the skipped notes."""

from __future__ import annotations

import re

from pgevolve.importer.emit import Quoted
from pgevolve.sqltext import ident

_SPACES = re.compile(r"\s")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_TYPE_PUNCTUATION = re.compile(r"[\s()\[\]]")


def sql_type(text: str) -> str:
    """A type, quoted when it has spaces, parentheses or brackets: ``"character varying(20)"``."""
    return Quoted(text) if _TYPE_PUNCTUATION.search(text) else text


def sql(text: str) -> str:
    """An SQL expression, quoted when it has spaces: ``now()`` but ``"(score > 0)"``."""
    return Quoted(text) if _SPACES.search(text) else text


def default(text: str) -> str | int | float | bool:
    """A column default; a plain number or boolean written bare (``default: 3``) when that reads back the same."""
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.fullmatch(text):
        number = float(text) if "." in text else int(text)
        if repr(number) == text:  # the compiler spells a bare number with repr(): 0.10 would come back 0.1
            return number
    return sql(text)


def where(table: str, kind: str, name: str) -> str:
    """``index "x" on table "t"``: the start of a skipped note."""
    return f"{kind} {ident.quote_ident(name)} on table {ident.quote_ident(table)}"
