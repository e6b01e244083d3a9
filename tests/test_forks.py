"""source.forks and load_project's ReadAhead: the files of a large project read on several cores give
exactly what one process reading them gives, errors and their positions included."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pgevolve.cache import usable_cores
from pgevolve.errors import SpecError
from pgevolve.source.forks import Forked
from pgevolve.source.load import ReadAhead, load_project

PARENT = os.getpid()
multicore = pytest.mark.skipif(usable_cores() < 2 or not hasattr(os, "fork"), reason="needs fork() and two cores")


def pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def square_but_children_die(n: int) -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


def slow_pid_and_square(n: int) -> tuple[int, int]:
    time.sleep(0.005)
    return pid_and_square(n)


@multicore
def test_the_results_come_in_order_and_part_of_them_from_children() -> None:
    results = Forked(slow_pid_and_square, range(40), min_share=5).results()
    assert [square for _, square in results] == [n * n for n in range(40)]
    assert {pid for pid, _ in results} - {PARENT}, "no item was computed in a child"


@multicore
def test_a_parent_busy_elsewhere_leaves_the_items_to_the_children() -> None:
    """The shares are taken from one queue: a parent that comes for its results late finds them all done."""
    forked = Forked(slow_pid_and_square, range(40), min_share=5)
    time.sleep(1.5)  # the child needs about 0.2 s for the 40 items
    results = forked.results()
    assert [square for _, square in results] == [n * n for n in range(40)]
    assert PARENT not in {pid for pid, _ in results}


@multicore
def test_a_child_that_dies_costs_only_time() -> None:
    assert Forked(square_but_children_die, range(40), min_share=5).results() == [n * n for n in range(40)]


def test_no_fork_while_a_thread_runs_nor_for_too_few_items() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert {pid for pid, _ in Forked(pid_and_square, range(40), min_share=5).results()} == {PARENT}
    finally:
        stop.set()
        thread.join()
    assert {pid for pid, _ in Forked(pid_and_square, range(40), min_share=40).results()} == {PARENT}
    assert Forked(pid_and_square, [], min_share=1).results() == []


def test_a_project_without_tables_reads_ahead_nothing(tmp_path: Path) -> None:
    (tmp_path / "pgevolve.yaml").write_text("schema: other\n")
    ahead = ReadAhead(tmp_path)
    try:
        assert load_project(tmp_path, ahead=ahead).tables == ()
    finally:
        ahead.close()


@multicore
def test_close_reaps_children_whose_results_were_never_taken() -> None:
    forked = Forked(pid_and_square, range(40), min_share=5)
    children = [pid for pid, _, _ in forked._children]
    forked.close()
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _project(root: Path, tables: int) -> Path:
    (root / "tables").mkdir(parents=True)
    (root / "pgevolve.yaml").write_text("schema: public\n")
    for i in range(tables):
        (root / "tables" / f"t{i:04}.yaml").write_text(
            f"table: t{i:04}\ncolumns:\n  id: {{ type: bigint, primary_key: true }}\n  name: {{ type: text }}\n")
    # Mistakes spread over the shares of every process: a duplicate key, a misspelled key, a wrong type,
    # a YAML syntax error, a column that does not exist.
    (root / "tables" / "t0003.yaml").write_text(
        "table: t0003\ncolumns:\n  id: { type: bigint }\n  id: { type: text }\n")
    (root / "tables" / "t0150.yaml").write_text("table: t0150\ncolumns:\n  id: { type: bigint, nulable: true }\n")
    (root / "tables" / "t0210.yaml").write_text("table: t0210\ncolumns:\n  id: { type: [bigint] }\n")
    (root / "tables" / "t0260.yaml").write_text("table: t0260\ncolumns:\n  id: { type: bigint\n")
    (root / "tables" / "t0290.yaml").write_text(
        "table: t0290\ncolumns:\n  id: { type: bigint }\nindexes:\n  - columns: [idd]\n")
    return root


@multicore
def test_a_project_read_ahead_has_the_same_problems_at_the_same_places(tmp_path: Path) -> None:
    schema = _project(tmp_path / "schema", 300)
    with pytest.raises(SpecError) as alone:
        load_project(schema)
    ahead = ReadAhead(schema)
    assert ahead._forked._children, "the project was read by one process only"
    try:
        with pytest.raises(SpecError) as together:
            load_project(schema, ahead=ahead)
    finally:
        ahead.close()
    assert together.value.problems == alone.value.problems
    assert {(Path(p.file).name, p.line) for p in alone.value.problems} >= {
        ("t0003.yaml", 4), ("t0150.yaml", 3), ("t0210.yaml", 3), ("t0290.yaml", 5)}


@multicore
def test_a_valid_project_read_ahead_is_the_same_project(tmp_path: Path) -> None:
    schema = _project(tmp_path / "schema", 300)
    for name in ("t0003", "t0150", "t0210", "t0260", "t0290"):
        (schema / "tables" / f"{name}.yaml").write_text(f"table: {name}\ncolumns:\n  id: {{ type: bigint }}\n")
    ahead = ReadAhead(schema)
    try:
        together = load_project(schema, ahead=ahead)
    finally:
        ahead.close()
    alone = load_project(schema)
    assert together.tables == alone.tables
