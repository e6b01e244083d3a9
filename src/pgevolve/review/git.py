"""The YAML of the schema directory as it is at a git ref (the pull request's base)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from pgevolve.errors import PgevolveError


class GitError(PgevolveError):
    """The base ref cannot be read (not a git repository, unknown ref)."""


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"--base needs git: {exc}") from None
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


@contextmanager
def schema_at(ref: str, schema_dir: Path) -> Iterator[Path | None]:
    """A temporary copy of schema_dir as of ``ref``; None when the directory did not exist there."""
    if ref.startswith("-"):
        raise GitError(f"--base: not a git ref: {ref!r}")
    directory = schema_dir.resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], directory if directory.is_dir() else Path.cwd())
               .decode().strip())
    relative = PurePosixPath(directory.relative_to(top).as_posix()) if directory != top else PurePosixPath(".")
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).decode().strip()
    listed = _git(["ls-tree", "-d", "--name-only", commit, "--", str(relative)], top).decode().strip()
    with tempfile.TemporaryDirectory(prefix="pgevolve-base-") as temp:
        if relative != PurePosixPath(".") and not listed:
            yield None
            return
        archive = _git(["archive", "--format=tar", commit, "--", str(relative)], top)
        _extract_files(archive, Path(temp))
        yield Path(temp) / relative


def _extract_files(archive: bytes, into: Path) -> None:
    """The regular files of a `git archive` tar (symlinks and anything outside ``into`` skipped)."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or member.name.startswith("/") or ".." in parts:
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
