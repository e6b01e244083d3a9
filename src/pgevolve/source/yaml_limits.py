"""How much of a YAML file pgevolve reads: the limits, and the checks that need no composed document.

A file under schema/ usually arrives in a pull request. Ten lines of nested aliases
expand to billions of values, 100,000 levels of ``[`` overflow libyaml's recursive C
composer (a segmentation fault, not an exception), and a 1 MB mapping takes seconds to
build. Each limit below is checked where it is cheapest: depth and entries on libyaml's
events before anything is composed (only for files with many brackets, so ordinary files
pay nothing), the rest while ``marked_yaml`` builds the data. Documented in
docs/format.md ("Limits").
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from pgevolve.errors import Problem

MAX_FILE_BYTES = 1024 * 1024  # one table, shape or project file
MAX_DEPTH = 64  # nesting of mappings and lists (a shape nests two levels per object)
MAX_ENTRIES = 10_000  # entries of one mapping or list (PostgreSQL allows 1,600 columns)
MAX_ALIAS_VALUES = 10_000  # values that aliases and merge keys produce, per file
MAX_DIGITS = 1_000  # of one integer (Python converts at most 4,300 to or from text)
# A file with fewer brackets than this cannot nest deep enough in flow style to hurt the
# composer (20,000 levels still compose); one with more is first read as events.
_BRACKETS_WITHOUT_EVENT_CHECK = 2_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


class LimitReached(Exception):
    """A file past one of the limits: reading it stops at once, with this problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def check_events(text: str, file: str) -> None:
    """LimitReached when collections nest deeper than MAX_DEPTH or one holds far more than MAX_ENTRIES.

    Read as events, without recursion and before anything is composed: a file of many
    brackets is refused in a fraction of the time composing it would take.
    """
    if text.count("[") + text.count("{") <= _BRACKETS_WITHOUT_EVENT_CHECK:
        return
    loader = (_FAST_LOADER or yaml.SafeLoader)(text)
    open_nodes: list[list[Any]] = []  # per open collection: [nodes seen in it (keys and values), line, column]
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.NodeEvent) and open_nodes:
                open_nodes[-1][0] += 1
                if open_nodes[-1][0] > 2 * MAX_ENTRIES:
                    _, line, column = open_nodes[-1]
                    raise LimitReached(too_many(file, line, column, f"more than {MAX_ENTRIES:,}"))
            if isinstance(event, yaml.CollectionStartEvent):
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
                open_nodes.append([0, line, column])
                if len(open_nodes) > MAX_DEPTH:
                    raise LimitReached(too_deep(file, line, column))
            elif isinstance(event, yaml.CollectionEndEvent):
                open_nodes.pop()
    except yaml.YAMLError:
        return  # the composer reports the syntax error, having nested no deeper than this
    finally:
        loader.dispose()


def too_many(file: str, line: int, column: int, count: int | str) -> Problem:
    count_text = f"{count:,}" if isinstance(count, int) else count
    return Problem(file=file, line=line, column=column, message=(
        f"a mapping or list here has {count_text} entries; pgevolve reads at most {MAX_ENTRIES:,} "
        "(PostgreSQL allows 1,600 columns in a table)"))


def too_deep(file: str, line: int, column: int) -> Problem:
    return Problem(file=file, line=line, column=column, message=(
        f"mappings and lists nest deeper than {MAX_DEPTH} levels here; pgevolve reads at most {MAX_DEPTH}"))


def encodable(text: str) -> bool:
    """False for text holding a lone UTF-16 surrogate, which UTF-8 (and PostgreSQL) cannot hold."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def merged_size(node: MappingNode, memo: dict[int, int] | None = None, depth: int = 0) -> int:
    """How many entries ``node`` has once its ``<<`` merge keys are resolved (merged maps counted in full)."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if depth > MAX_DEPTH:
        return MAX_ALIAS_VALUES + 1  # a chain of merges this long is no schema file
    memo[id(node)] = MAX_ALIAS_VALUES + 1  # a merge cycle counts as too many
    total = 0
    for key, value in node.value:
        if key.tag != _MERGE_TAG:
            total += 1
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        total += sum(merged_size(s, memo, depth + 1) for s in sources if isinstance(s, MappingNode))
        if total > MAX_ALIAS_VALUES:
            break
    memo[id(node)] = total
    return total
