"""Exception types with structured fields, and the exit codes of the CLI.

Only ``cli.py`` turns these into text; everything else raises them with the
facts (file, line, column, value, hint) as fields.
"""

from __future__ import annotations

import difflib
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
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.severity}: {self.message}"
        if self.value is not None and repr(self.value) not in self.message:
            text += f" (got {self.value!r})"
        if self.hint:
            text += f"; {self.hint}"
        return text


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
