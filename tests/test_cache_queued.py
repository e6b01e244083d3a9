"""cache.batch / store_later: the writes a plan queues are made by a forked child while the plan goes on
when they hold a large model (a small one is written by the process itself: cheaper than a fork), and
are all on disk once ``stored`` returns, also when the child fails."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pgevolve import cache
from pgevolve.cache import TABLES_WORTH_A_FORK, usable_cores

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
def test_the_values_of_a_large_model_are_made_in_a_child_while_this_process_goes_on() -> None:
    parent = os.getpid()
    made_in: list[int] = []

    def make() -> int:
        made_in.append(os.getpid())  # the child's list: the parent's stays empty
        return os.getpid()

    with cache.batch():
        cache.store_later("summary", "k", make)
        cache.store_later("canonical", "k", lambda: "model", tables=TABLES_WORTH_A_FORK)
    cache.stored()
    assert made_in == []
    assert cache.load("summary", "k") not in (None, parent)


def test_the_values_of_a_small_model_are_made_here_without_a_fork() -> None:
    made_in: list[int] = []

    def make() -> int:
        made_in.append(os.getpid())
        return os.getpid()

    with cache.batch():
        cache.store_later("summary", "k", make)
        cache.store_later("canonical", "k", lambda: "model", tables=TABLES_WORTH_A_FORK - 1)
        assert made_in == []  # still queued: written at the batch's end
    cache.stored()
    assert made_in == [os.getpid()]
    assert cache.load("summary", "k") == os.getpid()


@multicore
def test_what_a_failed_child_did_not_write_is_written_by_the_parent() -> None:
    parent = os.getpid()

    def killed_in_the_child() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "written by the parent"

    with cache.batch():
        cache.store_later("summary", "k", killed_in_the_child, tables=TABLES_WORTH_A_FORK)
    cache.stored()
    assert cache.load("summary", "k") == "written by the parent"
