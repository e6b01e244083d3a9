"""CPU-bound work on every core, through fork(): ``Forked(function, items).results()``.

Composing YAML is Python work (PyYAML makes an object per node), about a millisecond per
table file, so a project of a thousand tables spends a second of one core reading its files.
``Forked`` forks children that take the items in small chunks from a queue they share with the
parent (a pipe holding the chunks' numbers) and send back their results through a pipe of their
own, pickled; the parent takes chunks from the same queue when ``results`` is called. Shares are
thus not fixed: a parent busy with other work meanwhile (a thread reading a large catalog) leaves
more chunks to the children, and every process ends within a chunk of the others.

fork() copies the process as it is: a child imports nothing and needs no start-up, but it must
be created while the process has one thread (a child of a process with threads may inherit a
lock that no thread of its own will release). A ``Forked`` is therefore created before any
thread is started, and its results are taken later; it falls back to the parent doing all the
work where fork() is missing (Windows), with fewer than two cores, with too few items to pay
for a child, or when a thread is already running. A child that fails (killed, out of memory)
costs nothing but time: the parent computes every chunk whose results it did not get.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from pgevolve.cache import dumps, usable_cores

T = TypeVar("T")
R = TypeVar("R")

MAX_PROCESSES = 4  # the parent and three children: past that, pickling the results costs what a core saves


class Forked(Generic[T, R]):
    """``function`` over ``items``, shared between this process and forked children."""

    def __init__(self, function: Callable[[T], R], items: Sequence[T], *, min_share: int) -> None:
        """Fork now, when it pays: each process gets at least ``min_share`` items, on average."""
        self._function = function
        self._items = list(items)
        processes = min(usable_cores(), MAX_PROCESSES, len(self._items) // max(min_share, 1))
        if processes < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
            processes = 1
        self._chunks = _chunks(len(self._items), processes)
        self._queue: int | None = None  # read end of the queue of chunk numbers
        self._children: list[tuple[int, int, None]] = []  # pid, read end of its pipe
        if processes < 2:
            return
        try:
            self._queue = _queue(len(self._chunks))
            for _ in range(processes - 1):
                self._children.append(self._fork())
        except OSError:  # no process or pipe to be had: this process does every chunk
            self.close()

    def _fork(self) -> tuple[int, int, None]:
        assert self._queue is not None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, write, and leave without running the parent's exit handlers
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once; the parent reports it
            code = 1
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    for number in _taken(self._queue):  # each chunk sent when done: read while the rest runs
                        # cache.dumps: frozen dataclasses (the specs) written as their values, restored fast
                        payload = dumps((number, self._compute(number)))
                        pipe.write(len(payload).to_bytes(8, "little") + payload)
                        pipe.flush()
                code = 0
            finally:
                os._exit(code)  # no exit handlers, no flushing of buffers the parent still owns
        os.close(write_end)
        _widen(read_end)
        os.set_blocking(read_end, False)
        return pid, read_end, None

    def _compute(self, number: int) -> list[R]:
        start, end = self._chunks[number]
        return [self._function(item) for item in self._items[start:end]]

    def results(self) -> list[R]:
        """The function's result for each item, in the items' order (the chunks left computed now).

        Between chunks of its own, this process takes in what the children have sent so far, so that
        little is left to unpickle once the queue is empty."""
        done: dict[int, list[R]] = {}
        children, self._children = self._children, []
        inboxes = [_Inbox(read_end) for _, read_end, _ in children]
        if self._queue is not None:
            for number in _taken(self._queue):
                done[number] = self._compute(number)
                for inbox in inboxes:
                    done.update(inbox.received(wait=False))
            os.close(self._queue)
            self._queue = None
        for (pid, _, _), inbox in zip(children, inboxes, strict=True):
            done.update(inbox.received(wait=True))  # to the end of its pipe: the child has finished
            os.waitpid(pid, 0)
        return [result for number in range(len(self._chunks))
                for result in (done[number] if number in done else self._compute(number))]

    def close(self) -> None:
        """Stop and reap the children whose results were not taken (an error came first)."""
        if self._queue is not None:
            os.close(self._queue)
            self._queue = None
        children, self._children = self._children, []
        for pid, read_end, _ in children:
            os.close(read_end)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


# Each process ends within about a 32nd of its share of the others; the queue (two bytes a chunk, at most
# MAX_PROCESSES * 32 chunks) stays under PIPE_BUF, written at once into any pipe.
_CHUNKS_PER_PROCESS = 32


def _chunks(count: int, processes: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` items: one chunk when one process does them all."""
    if processes < 2:
        return [(0, count)] if count else []
    size = max(1, -(-count // (processes * _CHUNKS_PER_PROCESS)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _queue(chunks: int) -> int:
    """A pipe holding the numbers 0 .. chunks-1, two bytes each; its write end closed, so that a read past
    the last number is the end of the file. Its read end is returned."""
    read_end, write_end = os.pipe()
    try:
        os.set_blocking(write_end, False)  # a pipe too small for it: an error, never a wait
        queue = b"".join(number.to_bytes(2, "little") for number in range(chunks))
        if os.write(write_end, queue) != len(queue):
            raise OSError("the queue of chunks did not fit in a pipe")
    except OSError:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


class _Inbox:
    """The chunks a child sends, each ``(number, results)`` pickled behind its length in eight bytes. A child
    that fails sends less, or a chunk cut short: what did not come whole is computed by the parent."""

    def __init__(self, read_end: int) -> None:
        self._fd: int | None = read_end
        self._buffer = bytearray()

    def received(self, *, wait: bool) -> dict[int, Any]:
        """The chunks come whole since the last call; ``wait``: read to the end of the pipe first."""
        if self._fd is not None:
            if wait:
                os.set_blocking(self._fd, True)
            self._read()
        found: dict[int, Any] = {}
        while len(self._buffer) >= 8:
            size = int.from_bytes(self._buffer[:8], "little")
            if len(self._buffer) < 8 + size:
                break
            payload = bytes(self._buffer[8:8 + size])
            del self._buffer[:8 + size]
            try:
                number, values = pickle.loads(payload)  # noqa: S301 - written by our own child
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                continue
            found[number] = values
        return found

    def _read(self) -> None:
        """What the pipe holds (all of it to its end, when it blocks)."""
        assert self._fd is not None
        while True:
            try:
                data = os.read(self._fd, 1 << 20)
            except BlockingIOError:
                return  # nothing more for now
            if not data:
                os.close(self._fd)
                self._fd = None
                return
            self._buffer += data


def _widen(fd: int) -> None:
    """The pipe's buffer made to hold a few chunks (Linux), so that a child seldom waits for the parent to read."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # not on Windows, where nothing is forked

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


def _taken(queue: int) -> Iterator[int]:
    """Chunk numbers taken from the queue until it is empty. Linux reads a pipe under its lock, and every
    number is two bytes of a queue written whole before any read: a read of two bytes is one number, and
    no two processes get the same."""
    while len(number := os.read(queue, 2)) == 2:
        yield int.from_bytes(number, "little")
