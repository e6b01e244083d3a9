"""pipeline.collector_paused: the cycle collector off meanwhile, and back on without walking every object
made meanwhile (a plan's models) at the next allocation."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from pgevolve.pipeline import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class Node:
    def __init__(self) -> None:
        self.me = self


def test_nested_pauses_resume_at_the_outermost_without_a_young_collection_of_all_made_meanwhile() -> None:
    young: list[int] = []  # the young generation's size at the start of each young collection

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 0:
            young.append(len(gc.get_objects(generation=0)))

    gc.callbacks.append(watch)
    try:
        with collector_paused():
            made = [[] for _ in range(50_000)]
            with collector_paused():
                pass
            assert not gc.isenabled()
        assert gc.isenabled()
        more = [[] for _ in range(5_000)]  # allocations that set off young collections
    finally:
        gc.callbacks.remove(watch)
    assert young
    assert max(young) < 10_000
    assert len(made) + len(more) == 55_000


def test_a_cycle_made_while_paused_is_still_collected() -> None:
    with collector_paused():
        gone = weakref.ref(Node())
    assert gone() is not None  # a cycle: reference counting alone does not free it
    gc.collect()
    assert gone() is None
