"""YAML in, with marks: plain data plus the line and column of every key and value.

PyYAML's ``safe_load`` forgets where things were and silently keeps the last
of two equal keys (a column defined twice). Here the file is composed into
nodes, and the nodes are turned into plain data by hand, so that every value
keeps its position and a duplicate key is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgevolve.errors import Problem

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One YAML file as plain data, and where each of its nodes is."""

    file: str  # the path as shown in problems
    data: Any
    values: dict[NodePath, Mark]  # where each value starts
    keys: dict[NodePath, Mark]  # where the key of each mapping entry starts

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
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file=file, line=0, column=0, message=f"cannot read the file: {exc.strerror}")]
    text, problem = _decode(raw, file)
    if problem:
        return None, [problem]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:  # errors without a position (rare: reader errors)
        return None, [Problem(file=file, line=0, column=0, message=f"invalid YAML: {exc}")]
    if node is None:
        return None, [Problem(file=file, line=1, column=1, message="the file is empty; expected a YAML mapping")]
    builder = _Builder(file)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
        message = f"expected a mapping (key: value lines) at the top of the file, got {kind}"
        return None, [*builder.problems, Problem(file=file, line=1, column=1, message=message)]
    document = Document(file=file, data=data, values=builder.values, keys=builder.keys)
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


def _resolve_cached(loader: Any, kind: type, value: Any, implicit: Any) -> Any:
    """The loader's tag resolution of a scalar, remembered by (value, implicit): libyaml asks the
    pure-Python resolver for every scalar, and a schema repeats the same few hundred values."""
    if kind is not ScalarNode:
        return _C_LOADER.resolve(loader, kind, value, implicit)  # type: ignore[union-attr]
    key = (value, implicit)
    tag = _RESOLVED.get(key)
    if tag is None:
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


def _mark(node: Node) -> Mark:
    start = node.start_mark
    return tuple.__new__(Mark, (start.line + 1, start.column + 1))


class _Builder:
    """Turns composed nodes into plain dicts, lists and scalars, recording marks on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[NodePath, Mark] = {}
        self.keys: dict[NodePath, Mark] = {}
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        self._active: set[int] = set()  # nodes being built: an alias back to one is a cycle

    def _problem(self, node: Node, message: str) -> None:
        mark = _mark(node)
        self.problems.append(Problem(file=self.file, line=mark.line, column=mark.column, message=message))

    def build(self, node: Node, path: NodePath) -> Any:
        """Plain data for ``node``, recording where it and everything under it start."""
        self.values[path] = _mark(node)
        if id(node) in self._active:
            self._problem(node, "an alias refers back to the node that contains it")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: MappingNode, path: NodePath) -> dict[str, Any]:
        self._check_duplicates(node)
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
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
            self.keys[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: Node) -> str | None:
        # Keys are names (tables, columns, properties): kept as written, so a column
        # called `on` or `null` is not turned into True or None by YAML 1.1 rules.
        if isinstance(node, ScalarNode):
            return str(node.value)
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
            return node.value  # what construct_yaml_str returns, without the constructor's round trip
        if node.tag == _TIMESTAMP_TAG:
            return str(node.value)  # a date is text to pgevolve, never a datetime object
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(_syntax_problem(exc, self.file))
            return str(getattr(node, "value", ""))
