"""cache.batch / store_later: the writes a plan queues are made by a forked child while the plan goes on,
and are all on disk once ``stored`` returns, also when the child fails."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pgevolve import cache
from pgevolve.cache import usable_cores

multicore = pytest.mark.skipif(usable_cores() < 2 or not hasattr(os, "fork"), reason="needs fork() and two cores")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path))


def test_outside_a_batch_the_write_is_made_at_once() -> None:
    cache.store_later("summary", "k", lambda: {"a": 1})
    assert cache.load("summary", "k") == {"a": 1}


def test_a_batch_writes_nothing_before_its_end_and_everything_once_stored() -> None:
    with cache.batch():
        cache.store_later("summary", "k", lambda: {"a": 1})
        cache.store_later("canonical", "k", lambda: (1, "two"))
        assert cache.load("summary", "k") is None
    cache.stored()
    assert cache.load("summary", "k") == {"a": 1}
    assert cache.load("canonical", "k") == (1, "two")


@multicore
def test_the_values_are_made_in_a_child_while_this_process_goes_on() -> None:
    parent = os.getpid()
    made_in: list[int] = []

    def make() -> int:
        made_in.append(os.getpid())  # the child's list: the parent's stays empty
        return os.getpid()

    with cache.batch():
        cache.store_later("summary", "k", make)
    cache.stored()
    assert made_in == []
    assert cache.load("summary", "k") not in (None, parent)


@multicore
def test_what_a_failed_child_did_not_write_is_written_by_the_parent() -> None:
    parent = os.getpid()

    def killed_in_the_child() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "written by the parent"

    with cache.batch():
        cache.store_later("summary", "k", killed_in_the_child)
    cache.stored()
    assert cache.load("summary", "k") == "written by the parent"
