"""CPU-bound work on every core, through fork(): ``Forked(function, items).results()``.

Composing YAML is Python work (PyYAML makes an object per node), about a millisecond per
table file, so a project of a thousand tables spends a second of one core reading its files.
``Forked`` forks children that each take a share of the items and send back their results
through a pipe, pickled; the parent takes the first share itself when ``results`` is called.

fork() copies the process as it is: a child imports nothing and needs no start-up, but it must
be created while the process has one thread (a child of a process with threads may inherit a
lock that no thread of its own will release). A ``Forked`` is therefore created before any
thread is started, and its results are taken later; it falls back to the parent doing all the
work where fork() is missing (Windows), with fewer than two cores, with too few items to pay
for a child, or when a thread is already running. A child that fails (killed, out of memory)
costs nothing but time: the parent does that share itself.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_PROCESSES = 4  # the parent and three children: past that, pickling the results costs what a core saves


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Forked(Generic[T, R]):
    """``function`` over ``items``, shared between this process and forked children."""

    def __init__(self, function: Callable[[T], R], items: Sequence[T], *, min_share: int) -> None:
        """Fork now, when it pays: each process gets at least ``min_share`` items."""
        self._function = function
        processes = min(usable_cores(), MAX_PROCESSES, len(items) // max(min_share, 1))
        if processes < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
            processes = 1
        size = max(1, -(-len(items) // processes))  # the ceiling; 1 when there is nothing to share
        shares = [list(items[start:start + size]) for start in range(0, len(items), size)] or [[]]
        self._own = shares[0]
        self._children: list[tuple[int, int, list[T]]] = []  # pid, read end of its pipe, its share
        try:
            for share in shares[1:]:
                self._children.append(self._fork(share))
        except OSError:  # no process or pipe to be had: this process does those shares
            self._own = [item for share in shares for item in share]
            self.close()

    def _fork(self, share: list[T]) -> tuple[int, int, list[T]]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, write, and leave without running the parent's exit handlers
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once; the parent reports it
            code = 1
            try:
                payload = pickle.dumps([self._function(item) for item in share], pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(payload)
                code = 0
            finally:
                os._exit(code)  # no exit handlers, no flushing of buffers the parent still owns
        os.close(write_end)
        return pid, read_end, share

    def results(self) -> list[R]:
        """The function's result for each item, in the items' order (the parent's share computed now)."""
        results = [self._function(item) for item in self._own]
        children, self._children = self._children, []
        for pid, read_end, share in children:
            results += self._collect(pid, read_end, share)
        return results

    def _collect(self, pid: int, read_end: int, share: list[T]) -> list[R]:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status == 0 and payload:
            try:
                values: list[R] = pickle.loads(payload)  # noqa: S301 - written by our own child
                if len(values) == len(share):
                    return values
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                pass
        return [self._function(item) for item in share]  # the child failed: its share is done here

    def close(self) -> None:
        """Stop and reap the children whose results were not taken (an error came first)."""
        children, self._children = self._children, []
        for pid, read_end, _ in children:
            os.close(read_end)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
