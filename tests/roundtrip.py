"""The adoption round trip, through the CLI as a DBA runs it (issue 11).

import -> validate (import never writes YAML its own validator refuses) -> plan against the same
database ("No changes") -> apply on an empty database -> plan again ("No changes") -> import the
rebuilt database: the same YAML. Each step that fails names itself, with the command's output.
"""

from __future__ import annotations

from pathlib import Path

from conftest import DatabaseFactory
from conftest import cli as run_cli


class RoundTripFailed(AssertionError):
    """One step of the round trip failed; ``step`` says which."""

    def __init__(self, step: str, code: int, output: str) -> None:
        super().__init__(f"{step}: exit {code}\n{output[-6000:]}")
        self.step = step


def cli(*args: str | Path) -> tuple[int, str]:
    """The CLI in-process (conftest.cli), paths taken as they come."""
    return run_cli(*(str(a) for a in args))


def _step(step: str, *args: str | Path) -> str:
    code, output = cli(*args)
    if code != 0:
        raise RoundTripFailed(step, code, output)
    return output


def read_tree(directory: Path) -> dict[str, str]:
    """Every file under ``directory``, by relative path."""
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


def round_trip(databases: DatabaseFactory, original: str, work: Path, *, schema: str = "public") -> dict[str, str]:
    """Run the whole round trip on ``schema`` of the database ``original``; the imported files."""
    imported, reimported = work / "imported", work / "reimported"
    _step("import", "import", "--database-url", original, "--schema", schema, "--out", imported)
    _step("validate the imported YAML", "validate", "--schema-dir", imported)
    _step("plan against the same database", "plan", "--schema-dir", imported, "--database-url", original)
    rebuilt = databases.create()
    _step("apply on an empty database", "apply", "--schema-dir", imported, "--database-url", rebuilt, "--yes")
    _step("plan against the rebuilt database", "plan", "--schema-dir", imported, "--database-url", rebuilt)
    _step("import the rebuilt database", "import", "--database-url", rebuilt, "--schema", schema, "--out", reimported)
    first, second = read_tree(imported), read_tree(reimported)
    if first != second:
        changed = sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))
        details = "\n".join(f"--- {n}\n{first.get(n)}\n+++ {n}\n{second.get(n)}" for n in changed[:3])
        raise RoundTripFailed("re-import gives the same YAML", 1, details)
    return first
