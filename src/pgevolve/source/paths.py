"""Where a file really is: the check that keeps every read inside the schema directory.

A symbolic link out of it (to ~/.pgpass, /etc/passwd, a CI secret) would be read, and its text shown
in the errors a CI job posts on the pull request that added the link.
"""

from __future__ import annotations

import os
import stat


class RealPaths:
    """Whether a file's real path (``Path.resolve``) is inside the schema directory, resolving each directory
    once rather than every component of every file (a project of a thousand tables is a thousand files)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._directories: dict[str, str] = {}

    def inside(self, path: str) -> bool:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            found = os.path.realpath(path)
        else:
            parent, name = os.path.split(path)
            directory = self._directories.get(parent)
            if directory is None:
                directory = self._directories[parent] = os.path.realpath(parent)
            found = os.path.join(directory, name)
        return found == self.root or found.startswith(self.root.rstrip(os.sep) + os.sep)
