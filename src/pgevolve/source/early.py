"""What a cold plan starts first, before importing the rest of pgevolve: the YAML files' cache key, and the
files being read by forked children when the compiled YAML is not in the cache.

fork() must come before any thread starts, and the sooner it comes the more of the files the children
read: the CLI's ``plan`` calls ``read_early`` before importing psycopg and the planner (a fifth of a
second of imports this process then does while the children read). Nothing here imports psycopg.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pgevolve import cache
from pgevolve.source.paths import RealPaths

if TYPE_CHECKING:
    from pgevolve.source.load import ReadAhead


@dataclass(frozen=True, slots=True)
class EarlyRead:
    """The key of the YAML files (``sources_key``) and, when the compiled YAML is not cached, their reading."""

    key: str | None
    ahead: ReadAhead | None

    def close(self) -> None:
        """Stop the children whose results were not taken (a fast path that did not need them, an error)."""
        if self.ahead is not None:
            self.ahead.close()


def read_early(schema_dir: Path) -> EarlyRead:
    """The files' key, and their reading started unless the cache holds what they compile to."""
    key = sources_key(schema_dir)
    if key is not None and cache.has("compiled", key):
        return EarlyRead(key=key, ahead=None)  # a warm plan: source.load is not even imported
    from pgevolve.source.load import ReadAhead

    return EarlyRead(key=key, ahead=ReadAhead(schema_dir))


# The cache key reads what load_project may read and no more (a big file elsewhere under
# schema/, or a link to a big file outside it, is never read whole just to make a key).
# Kept apart from source/load.py, whose import costs a plan that hits the cache.
_SOURCE_DIRECTORIES = ("tables", "shapes")
_MAX_SOURCE_BYTES = 1024 * 1024  # source/yaml_limits.MAX_FILE_BYTES
_MAX_SOURCE_FILES = 20_000  # source/load.MAX_FILES per directory


def sources_key(schema_dir: Path) -> str | None:
    """A key over every file load_project can read (path and bytes); None: no cache, load_project says why.

    The files hashed are a superset of those read (so the key changes whenever the result
    can); anything load_project would refuse (not a regular file, a link out of the schema
    directory, over the size limit) means no key rather than a read.
    """
    try:
        root = schema_dir.resolve()
        files = [schema_dir / "pgevolve.yaml", schema_dir / "prerequisites.sql"]
        for name in _SOURCE_DIRECTORIES:
            if (schema_dir / name).is_dir():
                files += sorted(p for p in (schema_dir / name).rglob("*") if p.suffix in (".yaml", ".yml"))
        if len(files) > _MAX_SOURCE_FILES:
            return None
        parts = []
        real = RealPaths(str(root))
        for path in files:
            if path.name == "prerequisites.sql" and not path.exists() and not path.is_symlink():
                continue  # the one optional file
            status = os.stat(path)  # follows a link, as reading does
            if not stat.S_ISREG(status.st_mode) or not real.inside(str(path)):
                return None
            if status.st_size > _MAX_SOURCE_BYTES:
                return None
            parts.append(f"{path.relative_to(schema_dir)}\0".encode() + path.read_bytes())
    except OSError:
        return None
    return cache.key_of(str(schema_dir), *parts)
