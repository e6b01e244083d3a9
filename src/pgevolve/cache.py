"""pgevolve's private cache: results that depend only on their inputs, kept between runs.

Two things are cached, each keyed by a SHA-256 of everything it depends on:
the compiled YAML (keyed by the bytes of every file under schema/) and the
canonical form of the desired model (keyed by the model and the server
version). A no-op plan of a large schema then reads the catalog and compares,
and pays neither for validation nor for a scratch database. Entries are
pickles written by pgevolve itself into a directory only the user can read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from pgevolve import __version__


def cache_root() -> Path:
    explicit = os.environ.get("PGEVOLVE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "pgevolve"


@cache
def code_version() -> str:
    """pgevolve's version plus a stamp of its source files, so that changed code never reads
    values cached by other code (an editable install changes without a version bump)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".sql", ".json"):
            stat = path.stat()
            digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def key_of(*parts: bytes | str) -> str:
    """A SHA-256 over pgevolve's code version and the given parts."""
    digest = hashlib.sha256(code_version().encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


def load(kind: str, key: str) -> Any | None:
    """The cached value, or None when absent or unreadable (it is then rebuilt)."""
    try:
        return pickle.loads(_entry(kind, key).read_bytes())  # noqa: S301 - our own file in the user's private cache
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def has(kind: str, key: str) -> bool:
    """Whether an entry is there (without reading it: ``load`` may still find it unreadable)."""
    return _entry(kind, key).is_file()


def _entry(kind: str, key: str) -> Path:
    return cache_root() / kind / f"{key}.pickle"


def store(kind: str, key: str, value: Any) -> None:
    """Write atomically; a failure to cache never fails the command."""
    folder = cache_root() / kind
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f"{key}.{os.getpid()}.tmp"
        temporary.write_bytes(dumps(value))
        temporary.replace(_entry(kind, key))
    except OSError:
        pass


# Waits for the writes started so far (a thread to join, a child process to reap).
_PENDING: list[Callable[[], None]] = []
# The writes ``store_later`` queued in the open batch (``batch``); None: no batch open.
_QUEUED: list[tuple[str, str, Callable[[], Any]]] | None = None
# The tables the queued writes hold, and how many are worth a forked writer: fork() copies the page tables
# of the whole process and the child faults in every page it touches (~15 ms in a 200 MB test worker,
# before any pickling), while pickling a model of a few dozen tables takes a millisecond or two.
_QUEUED_TABLES = 0
TABLES_WORTH_A_FORK = 100


def store_meanwhile(kind: str, key: str, value: Any) -> None:
    """``store`` on a thread of its own: a large model is pickled while the caller waits on the server
    (a cold plan builds its scratch database meanwhile). ``stored`` waits for it; so does the exit."""
    thread = threading.Thread(target=store, args=(kind, key, value), name=f"pgevolve-cache-{kind}")
    thread.start()
    _PENDING.append(thread.join)


@contextmanager
def batch() -> Iterator[None]:
    """Inside, ``store_later`` queues its writes; they start at ``write_queued`` or on the way out (nested: the
    outermost). ``stored`` waits for them."""
    global _QUEUED
    if _QUEUED is not None:
        yield
        return
    _QUEUED = []
    try:
        yield
    finally:
        write_queued()
        _QUEUED = None


def batching() -> bool:
    """Whether ``store_later`` queues (a ``batch`` is open)."""
    return _QUEUED is not None


def store_later(kind: str, key: str, make: Callable[[], Any], *, tables: int = 0) -> None:
    """``store(kind, key, make())``, queued when a ``batch`` is open, else now. ``make`` runs where the
    write does: a value costly to compute for the cache alone (a fingerprint) costs the caller nothing.
    ``tables``: how many tables the value holds (what decides whether a forked child writes it)."""
    global _QUEUED_TABLES
    if _QUEUED is None:
        store(kind, key, make())
    else:
        _QUEUED.append((kind, key, make))
        _QUEUED_TABLES += tables


def write_queued() -> None:
    """Start the writes queued so far: in a forked child when they hold enough tables to be worth one and this
    process may fork (``_fork_writer``), which pickles on another core while this process goes on; else here,
    now."""
    global _QUEUED_TABLES
    if not _QUEUED:
        return
    queued, large = list(_QUEUED), _QUEUED_TABLES >= TABLES_WORTH_A_FORK
    _QUEUED.clear()
    _QUEUED_TABLES = 0
    waiting = _fork_writer(queued) if large else None
    if waiting is not None:
        _PENDING.append(waiting)
        return
    for kind, key, make in queued:
        store(kind, key, make())


def _fork_writer(queued: list[tuple[str, str, Callable[[], Any]]]) -> Callable[[], None] | None:
    """A child that writes ``queued`` and leaves; the wait for it. None: no fork (no second core, no fork()
    on this system, or another thread alive, which may hold a lock the child would wait on forever)."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or usable_cores() < 2:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: write, and leave without the parent's exit handlers or buffered output
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once
            for kind, key, make in queued:
                store(kind, key, make())
            code = 0
        finally:
            os._exit(code)
    return lambda: _reap(pid, queued)


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _reap(pid: int, queued: list[tuple[str, str, Callable[[], Any]]]) -> None:
    """Wait for the writer; when it failed (killed, out of memory), what it was to write is written here."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 1
    if status != 0:
        for kind, key, make in queued:
            store(kind, key, make())


def stored() -> None:
    """Start the queued writes, and wait for every write started so far."""
    write_queued()
    while _PENDING:
        _PENDING.pop()()


def dumps(value: Any) -> bytes:
    """``pickle.dumps``, frozen slotted dataclasses (the model) written as their field values.

    The dataclass's own ``__getstate__`` calls ``dataclasses.fields()`` for every object, and a model of a
    thousand tables is some 60,000 objects: most of a cold plan's pickling time went there.
    """
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a frozen, slotted dataclass that keeps the generated ``__getstate__``; None otherwise."""
    if cls not in _FIELD_NAMES:
        plain = dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__ and \
            getattr(getattr(cls, "__getstate__", None), "__name__", "") == "_dataclass_getstate"
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if plain else None
    return _FIELD_NAMES[cls]


def _restore(cls: type, values: tuple[Any, ...]) -> Any:
    """The object ``dumps`` wrote as its field values (what the dataclass's ``__setstate__`` does)."""
    return (_RESTORERS.get(cls) or _restorer(cls))(values)


_RESTORERS: dict[type, Callable[[tuple[Any, ...]], Any]] = {}


def _restorer(cls: type) -> Callable[[tuple[Any, ...]], Any]:
    """``_restore`` for one class, its fields set one statement each through their slots' descriptors.

    A loop over the field names calling ``object.__setattr__`` cost 3.6 us for a ColumnSpec (23 fields),
    the unrolled descriptor calls 1.6 us: a cache entry or a forked reader's results are some 100,000 such
    objects. A class whose fields no longer match what was written (another pgevolve's entry) raises
    UnpicklingError, and the entry is rebuilt.
    """
    names = _field_names(cls) or ()
    setters = [_slot_setter(cls, name) for name in names]
    count = len(names)
    lines = ["def restore(values):",
             f"    if len(values) != {count}:",
             f"        raise UnpicklingError(f'{{cls.__name__}}: {{len(values)}} values for {count} fields')",
             "    obj = new(cls)"]
    if count:
        lines.append("    " + "".join(f"v{i}, " for i in range(count)) + "= values")
        lines += [f"    s{i}(obj, v{i})" for i in range(count)]
    lines.append("    return obj")
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "UnpicklingError": pickle.UnpicklingError,
                             **{f"s{i}": setter for i, setter in enumerate(setters)}}
    exec("\n".join(lines), scope)  # noqa: S102 - our own text: numbered names, no field name in it
    _RESTORERS[cls] = scope["restore"]
    return _RESTORERS[cls]


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """What sets the field ``name`` of a frozen instance: its slot's descriptor (``object.__setattr__`` finds
    the same one by name, each time)."""
    slot = next((c.__dict__[name] for c in cls.__mro__ if name in c.__dict__), None)
    if slot is not None and hasattr(slot, "__set__"):
        return slot.__set__  # type: ignore[no-any-return]
    return lambda obj, value: object.__setattr__(obj, name, value)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        names = _field_names(type(obj))
        if names is None:
            return NotImplemented
        return _restore, (type(obj), tuple([getattr(obj, name) for name in names]))
