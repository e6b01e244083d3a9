"""YAML in, with marks: plain data plus the line and column of every key and value.

PyYAML's ``safe_load`` forgets where things were and silently keeps the last
of two equal keys (a column defined twice). Here the file is composed into
nodes, and the nodes are turned into plain data by hand, so that every value
keeps its position and a duplicate key is an error. The positions are found when a
problem first needs them (``_Marks``): most files of a project have none.

A YAML file comes from a pull request, so reading one is bounded (see "Limits" in
docs/format.md, ``yaml_limits``): its size, how deep it nests, how many entries one mapping or list
holds, and how many values its aliases and ``<<`` merge keys may produce (ten lines of
nested aliases would otherwise expand to billions of values). Each limit is a Problem
at the place it is reached, never a hang, a crash or a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgevolve.errors import Problem, short_repr
from pgevolve.source.yaml_limits import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    LimitReached,
    check_events,
    encodable,
    merged_size,
    too_deep,
    too_many,
)

NodePath = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


class Mark(NamedTuple):
    """Where a node starts. A named tuple, not a dataclass: a large project has hundreds of
    thousands of marks, and a tuple is built and pickled (the compile cache) in C."""

    line: int  # 1-based
    column: int  # 1-based


START = Mark(1, 1)


class _Marks:
    """Where each node of a file starts, found when a problem first needs one.

    Most files of a large project produce no problem, and recording a mark for every node
    was a quarter of reading them: the file's text is kept, and composed again on demand.
    """

    __slots__ = ("_text", "_file", "_found")

    def __init__(self, text: str, file: str) -> None:
        self._text, self._file = text, file
        self._found: tuple[dict[NodePath, Mark], dict[NodePath, Mark]] | None = None

    def found(self) -> tuple[dict[NodePath, Mark], dict[NodePath, Mark]]:
        if self._found is None:
            builder = _Builder(self._file, marks=True)
            node = _compose(self._text)
            if node is not None:
                builder.build(node, ())
            self._found = builder.values, builder.keys
        return self._found


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One YAML file as plain data, and where each of its nodes is."""

    file: str  # the path as shown in problems
    data: Any
    marks: _Marks = field(compare=False, repr=False)

    @property
    def values(self) -> dict[NodePath, Mark]:
        """Where each value starts."""
        return self.marks.found()[0]

    @property
    def keys(self) -> dict[NodePath, Mark]:
        """Where the key of each mapping entry starts."""
        return self.marks.found()[1]

    def has(self, path: NodePath) -> bool:
        """Whether the data holds a value at ``path``."""
        data = self.data
        for step in path:
            held = (isinstance(data, dict) and isinstance(step, str) and step in data) or \
                (isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data))
            if not held:
                return False
            data = data[step]
        return True

    def value_mark(self, path: NodePath) -> Mark:
        """Where the value at ``path`` starts, or its nearest existing parent."""
        for prefix in _prefixes(path):
            if prefix in self.values:
                return self.values[prefix]
        return START

    def key_mark(self, path: NodePath) -> Mark:
        """Where the key of the entry at ``path`` starts (for a list item: the item)."""
        return self.keys.get(path) or self.value_mark(path)

    def problem(
        self,
        path: NodePath,
        message: str,
        *,
        value: object = None,
        hint: str | None = None,
        at: Literal["key", "value"] = "value",
        severity: Literal["error", "warning"] = "error",
    ) -> Problem:
        """A Problem pinned to the node at ``path`` of this file."""
        mark = self.key_mark(path) if at == "key" else self.value_mark(path)
        return Problem(
            file=self.file,
            line=mark.line,
            column=mark.column,
            message=message,
            value=value,
            hint=hint,
            severity=severity,
        )


def _prefixes(path: NodePath) -> Iterator[NodePath]:
    for end in range(len(path), -1, -1):
        yield path[:end]


def load_document(path: Path, file: str) -> tuple[Document | None, list[Problem]]:
    """Read one YAML file; the Document is None when it cannot be read as a mapping."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [Problem(file=file, line=0, column=0, message=f"the file is {size:,} bytes; pgevolve "
                                  f"reads files of at most {MAX_FILE_BYTES:,} bytes", hint="split it, or see "
                                  "'Limits' in docs/format.md")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file=file, line=0, column=0, message=f"cannot read the file: {exc.strerror}")]
    text, problem = _decode(raw, file)
    if problem:
        return None, [problem]
    try:
        check_events(text, file)
        node = _compose(text)
    except LimitReached as exc:
        return None, [exc.problem]
    except RecursionError:
        return None, [Problem(file=file, line=0, column=0, message=f"the file nests deeper than {MAX_DEPTH} levels")]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:  # errors without a position (rare: reader errors)
        return None, [Problem(file=file, line=0, column=0, message=f"invalid YAML: {exc}")]
    if node is None:
        return None, [Problem(file=file, line=1, column=1, message="the file is empty; expected a YAML mapping")]
    builder = _Builder(file, marks=False)
    try:
        data = builder.build(node, ())
    except LimitReached as exc:
        return None, [exc.problem]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {short_repr(data)}"
        message = f"expected a mapping (key: value lines) at the top of the file, got {kind}"
        return None, [*builder.problems, Problem(file=file, line=1, column=1, message=message)]
    document = Document(file=file, data=data, marks=_Marks(text, file))
    return document, builder.problems


def _decode(raw: bytes, file: str) -> tuple[str, Problem | None]:
    """UTF-8 text (a BOM is dropped), or a Problem at the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        message = f"the file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8"
        return "", Problem(file=file, line=line, column=column, message=message)


# libyaml composes about ten times faster than the pure-Python parser and gives the
# same node marks; on a syntax error the pure-Python parser runs again, because its
# messages are the clearer ones and the bad-input tests pin them.
_C_LOADER = getattr(yaml, "CSafeLoader", None)
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_RESOLVED_KEPT = 100_000


def _resolve_cached(loader: Any, kind: type, value: Any, implicit: Any) -> Any:
    """The loader's tag resolution of a scalar, remembered by (value, implicit): libyaml asks the
    pure-Python resolver for every scalar, and a schema repeats the same few hundred values."""
    if kind is not ScalarNode:
        return _C_LOADER.resolve(loader, kind, value, implicit)  # type: ignore[union-attr]
    key = (value, implicit)
    tag = _RESOLVED.get(key)
    if tag is None:
        if len(_RESOLVED) >= _RESOLVED_KEPT:  # a long-lived process reading many projects: bounded
            _RESOLVED.clear()
        tag = _RESOLVED[key] = _C_LOADER.resolve(loader, kind, value, implicit)  # type: ignore[union-attr]
    return tag


_FAST_LOADER = type("_FastLoader", (_C_LOADER,), {"resolve": _resolve_cached}) if _C_LOADER else None


def _compose(text: str) -> Node | None:
    if _FAST_LOADER is not None:
        try:
            return _compose_with(_FAST_LOADER, text)
        except yaml.YAMLError:
            pass
    return _compose_with(yaml.SafeLoader, text)


class _Loader(Protocol):
    def get_single_node(self) -> Node | None: ...

    def dispose(self) -> None: ...


def _compose_with(loader_class: Callable[[str], _Loader], text: str) -> Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    """A YAML syntax error at the position PyYAML names, in words a reader can act on."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = (exc.problem or str(exc)).strip()
    if "'\\t'" in problem:
        message = "a tab character: YAML is indented with spaces only"
    elif "another document" in problem:
        message = "a second YAML document ('---'): a file holds one table, one shape or the project"
    else:
        message = f"invalid YAML: {problem}"
        if exc.context and exc.context_mark and exc.context_mark != mark:
            message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return Problem(file=file, line=line, column=column, message=message)


_TOO_MANY_DIGITS = 10**MAX_DIGITS
_too_many_digits = f"the number has more than {MAX_DIGITS:,} digits; write it in quotes if it is text"


def _unreadable_scalar(node: Node) -> str:
    text = str(getattr(node, "value", ""))
    if node.tag == "tag:yaml.org,2002:int" and sum(c.isalnum() for c in text) > MAX_DIGITS:
        return _too_many_digits
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return f"{short_repr(text)} is not a value of the tag {tag}; remove the tag, or fix the value"


def _mark(node: Node) -> Mark:
    start = node.start_mark
    return tuple.__new__(Mark, (start.line + 1, start.column + 1))


class _Builder:
    """Turns composed nodes into plain dicts, lists and scalars, recording marks on the way when asked
    (a problem found on the way takes its position from the node itself)."""

    def __init__(self, file: str, *, marks: bool) -> None:
        self.file = file
        self._marks = marks
        self.values: dict[NodePath, Mark] = {}
        self.keys: dict[NodePath, Mark] = {}
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        self._active: set[int] = set()  # nodes being built: an alias back to one is a cycle
        self._built: set[int] = set()  # nodes built once; building one again is an alias's (or merge's) value
        self._repeated = 0  # values built again through aliases and merge keys

    def _problem(self, node: Node, message: str) -> None:
        mark = _mark(node)
        self.problems.append(Problem(file=self.file, line=mark.line, column=mark.column, message=message))

    def build(self, node: Node, path: NodePath) -> Any:
        """Plain data for ``node``, recording where it and everything under it start."""
        if self._marks:
            self.values[path] = _mark(node)
        if id(node) in self._active:
            self._problem(node, "an alias refers back to the node that contains it")
            return None
        self._check_limits(node, path)
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _check_limits(self, node: Node, path: NodePath) -> None:
        if len(path) > MAX_DEPTH:
            mark = _mark(node)
            raise LimitReached(too_deep(self.file, mark.line, mark.column))
        if isinstance(node, MappingNode | SequenceNode) and len(node.value) > MAX_ENTRIES:
            mark = _mark(node)
            raise LimitReached(too_many(self.file, mark.line, mark.column, len(node.value)))
        if id(node) not in self._built:
            self._built.add(id(node))
            return
        self._repeated += 1
        if self._repeated > MAX_ALIAS_VALUES:
            mark = _mark(node)
            raise LimitReached(Problem(file=self.file, line=mark.line, column=mark.column, message=(
                f"aliases (*name) and merge keys (<<) here expand to more than {MAX_ALIAS_VALUES:,} values; "
                "pgevolve stops there"), hint="write the values out, or use fewer nested aliases"))

    def _mapping(self, node: MappingNode, path: NodePath) -> dict[str, Any]:
        self._check_duplicates(node)
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
            self._check_merge_size(node)
            try:
                self._constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
            except yaml.MarkedYAMLError as exc:
                self.problems.append(_syntax_problem(exc, self.file))
                return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if self._marks:
                self.keys[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _check_merge_size(self, node: MappingNode) -> None:
        """LimitReached before ``<<`` merges copy more entries than MAX_ALIAS_VALUES (nested merges multiply)."""
        if merged_size(node) > MAX_ALIAS_VALUES:
            mark = _mark(node)
            raise LimitReached(Problem(file=self.file, line=mark.line, column=mark.column, message=(
                f"the merge keys (<<) of this mapping expand to more than {MAX_ALIAS_VALUES:,} entries; "
                "pgevolve stops there")))

    def _key(self, node: Node) -> str | None:
        # Keys are names (tables, columns, properties): kept as written, so a column
        # called `on` or `null` is not turned into True or None by YAML 1.1 rules.
        if isinstance(node, ScalarNode):
            return self._text(node, str(node.value))
        self._problem(node, "a mapping key must be a plain name, not a list or a mapping")
        return None

    def _check_duplicates(self, node: MappingNode) -> None:
        seen: dict[str, Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            first = seen.setdefault(key_node.value, key_node)
            if first is not key_node:
                line = first.start_mark.line + 1
                self._problem(
                    key_node,
                    f"duplicate key '{key_node.value}' (first defined at line {line}); "
                    "YAML would silently keep only the last one",
                )

    def _scalar(self, node: Node) -> Any:
        if node.tag == _STR_TAG and isinstance(node, ScalarNode):
            # What construct_yaml_str returns, without the constructor's round trip; checked as any text.
            return self._text(node, str(node.value))
        if node.tag == _TIMESTAMP_TAG:
            return str(node.value)  # a date is text to pgevolve, never a datetime object
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(_syntax_problem(exc, self.file))
            return str(getattr(node, "value", ""))
        except (ValueError, KeyError, IndexError, TypeError, OverflowError):
            # PyYAML's constructors raise plain Python errors for an explicit tag on text that is
            # no such value (`!!int abc`, `!!float ""`, `!!bool maybe`), and Python refuses to
            # convert an integer of more than 4,300 digits (CVE-2020-10735).
            self._problem(node, _unreadable_scalar(node))
            return str(getattr(node, "value", ""))
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _TOO_MANY_DIGITS:
            # A hexadecimal 0xfff... converts without limit, and then cannot be printed in decimal.
            self._problem(node, _too_many_digits)
            return str(node.value)[:MAX_DIGITS]
        return self._text(node, value) if isinstance(value, str) else value

    def _text(self, node: Node, text: str) -> str:
        """The text, or a problem when it holds what no PostgreSQL name or value can (kept printable)."""
        if "\0" in text:
            self._problem(node, "the text holds a NUL character (\\0), which PostgreSQL cannot store")
            text = text.replace("\0", "\ufffd")
        if not encodable(text):
            # "\ud83d\ude00" in a double-quoted YAML string is two halves of a UTF-16 pair, which
            # YAML does not join: not a character, and not encodable as UTF-8.
            self._problem(node, "the text holds an escaped UTF-16 surrogate (like \\ud83d), which is not a "
                          "character; write the character itself, or \\U0001F600 for one beyond \\uFFFF")
            text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
        return text

