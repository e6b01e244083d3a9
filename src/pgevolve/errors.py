"""Exception types with structured fields, and the exit codes of the CLI.

Only ``cli.py`` turns these into text; everything else raises them with the
facts (file, line, column, value, hint) as fields.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal


class ExitCode(IntEnum):
    OK = 0  # valid, applied, or in sync
    ERROR = 1  # bad input, bad connection, failed statement
    CHANGES = 2  # plan/drift: the database differs from the YAML
    REFUSED = 3  # apply: stale plan, failed pre-check, destructive step not allowed
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with the YAML, pinned to where it is."""

    file: str
    line: int  # 1-based; 0 when the file as a whole is meant
    column: int  # 1-based
    message: str
    value: object = None  # the offending value, shown when not None
    hint: str | None = None  # "did you mean 'nullable'?" and the like
    severity: Literal["error", "warning"] = "error"

    def render(self) -> str:
        """One line: names and values from the file never carry a newline or an escape sequence."""
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.severity}: {self.message}"
        if self.value is not None and repr(self.value) not in self.message:
            text += f" (got {short_repr(self.value)})"
        if self.hint:
            text += f"; {self.hint}"
        return printable(text, keep="")


def short_repr(value: object, limit: int = 200) -> str:
    """repr() of a value, cut in the middle when long (a 1 MB string is not shown whole)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2:]} ({len(text)} characters)"


# Characters that move the cursor, change colours, end a line or reorder text on a terminal:
# C0/C1 controls (ESC starts every escape sequence; U+009B is a one-byte CSI), line and
# paragraph separators, and the bidirectional overrides of "Trojan Source".
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


# The same set as one character class, to find the first control character of a text in C: categories
# Cc (U+0000-U+001F, U+007F-U+009F), Zl (U+2028), Zp (U+2029) and Cs (surrogates) are fixed ranges.
_CONTROL_CLASS = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(sorted(_BIDI))
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")


def is_control(char: str) -> bool:
    """Whether the character acts on a terminal (moves, colours, ends a line, reorders) rather than shows."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in _BIDI


def has_control(text: str, *, but: str = "") -> bool:
    """Whether ``text`` holds a control character (``is_control``) other than those in ``but``."""
    return _control_but(but).search(text) is not None


@functools.cache
def _control_but(but: str) -> re.Pattern[str]:
    """``_CONTROL`` without the characters of ``but``: one scan in C, not one per line of a statement."""
    if not but:
        return _CONTROL
    return re.compile(f"(?![{re.escape(but)}])[{_CONTROL_CLASS}]")


def printable(text: str, *, keep: str = "\n\t") -> str:
    """``text`` safe for a terminal: every control character except those in ``keep`` shown escaped.

    Names and values come from YAML files and from the catalog; a name holding ESC [ 2 J
    or a newline must show as those characters, never act as them.
    """
    if not has_control(text, but=keep):
        return text
    return "".join(_escape(c) if c not in keep and is_control(c) else c for c in text)


def _escape(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class PgevolveError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code: ExitCode = ExitCode.ERROR


class SpecError(PgevolveError):
    """The YAML under schema/ is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity == "warning"]
        super().__init__("\n".join(p.render() for p in problems))


class ConnectionFailed(PgevolveError):
    """The database could not be reached; the message never holds a password."""


class ExecutionFailed(PgevolveError):
    """A statement failed on the server."""

    def __init__(self, message: str, *, sql: str | None = None) -> None:
        self.sql = sql
        super().__init__(message)


class UnsafeSql(PgevolveError):
    """A fragment that would reach SQL is not what it must be (a type, a name, one expression).

    Validation rejects such fragments with their file and line; this is the second line of
    defence, raised by the code that builds SQL, so that nothing unchecked is ever pasted.
    """


class Refused(PgevolveError):
    """apply will not go on: stale plan, failed pre-check, or a destructive step not allowed."""

    exit_code = ExitCode.REFUSED


class Interrupted(PgevolveError):
    """Ctrl-C or SIGTERM stopped the command; the message says what was done before."""

    exit_code = ExitCode.INTERRUPTED


def did_you_mean(word: object, candidates: Iterable[str]) -> str | None:
    """'did you mean 'x'?' for the closest candidate, or None."""
    if not isinstance(word, str):
        return None
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[close[0]]}'?" if close else None
