"""How SQL text and object names are written in the YAML and in the skipped notes."""

from __future__ import annotations

import re

from pgevolve import ident
from pgevolve.importer.emit import Quoted

_SPACES = re.compile(r"\s")
_TYPE_PUNCTUATION = re.compile(r"[\s()\[\]]")


def sql_type(text: str) -> str:
    """A type, quoted when it has spaces, parentheses or brackets: ``"character varying(20)"``."""
    return Quoted(text) if _TYPE_PUNCTUATION.search(text) else text


def sql(text: str) -> str:
    """An SQL expression, quoted when it has spaces: ``now()`` but ``"(score > 0)"``."""
    return Quoted(text) if _SPACES.search(text) else text


def where(table: str, kind: str, name: str) -> str:
    """``index "x" on table "t"``: the start of a skipped note."""
    return f"{kind} {ident.quote_ident(name)} on table {ident.quote_ident(table)}"
