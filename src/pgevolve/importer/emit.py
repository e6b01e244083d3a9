"""Plain data to YAML text laid out for humans: flow style where short, block style where long.

PyYAML decides how each scalar must be quoted (so that every string loads back
as itself); the layout around the scalars (alignment, flow mappings for short
columns) is ours, because no emitter offers it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import yaml

WIDTH = 120  # a flow collection longer than this is written in block style
_HUGE = 10**9  # PyYAML's line width: never fold a scalar over several lines
_NUMBER_LIKE = tuple("0123456789+-.")  # YAML 1.2 reads 0o17 and 1e3 as numbers where 1.1 does not


class Quoted(str):
    """A string always written double-quoted (SQL types and expressions, for the reader's eye)."""

    __slots__ = ()


def scalar(value: Any) -> str:
    """One scalar as YAML text that loads back as exactly ``value``, on one line."""
    if isinstance(value, Quoted):
        return _double_quoted(str(value))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        # YAML 1.1 needs a dot in a float: 1e-05 would read back as a string, PyYAML writes 1.0e-05.
        return repr(value) if yaml.safe_load(repr(value)) == value else yaml.safe_dump(value).split("\n")[0]
    text = str(value)
    plain = _plain(text)
    return plain if plain is not None else _double_quoted(text)


# A dump and a load through PyYAML per scalar (~0.1 ms), for the same few thousand strings over and over: a
# name, a type or a key is spelled at every level that tries a line in flow style. Both pure: kept per text
# (an import of adventureworks: 3.0 s of CPU, 1.0 s with them kept).
@lru_cache(maxsize=1 << 16)
def _plain(text: str) -> str | None:
    """The unquoted spelling when it is safe in flow context and loads back as the same string."""
    if not text or text.startswith(_NUMBER_LIKE):
        return None
    # Edge whitespace (a no-break space too) and unprintable characters read differently in
    # block context than in the flow list used to test the spelling: quote them.
    if text != text.strip() or not text.isprintable():
        return None
    dumped = yaml.safe_dump([text], default_flow_style=True, width=_HUGE, allow_unicode=True)
    inner = dumped.strip()[1:-1]
    if "\n" in inner or inner[:1] in ("'", '"') or yaml.safe_load(inner) != text:
        return None
    return inner


@lru_cache(maxsize=1 << 16)
def _double_quoted(text: str) -> str:
    """A double-quoted scalar: every character escaped as YAML requires, on one line."""
    return yaml.safe_dump(text, default_style='"', width=_HUGE, allow_unicode=True).rstrip("\n")


def flow(value: Any) -> str:
    """A value in flow style: ``{ a: 1, b: [x, y] }``."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + " }"
    if _is_sequence(value):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def document(data: Mapping[str, Any], *, header: Sequence[str] = (), aligned: Sequence[str] = ()) -> str:
    """A whole YAML document; the mappings under the keys in ``aligned`` get their values aligned."""
    lines = [f"# {line}" for line in header]
    lines += _mapping(data, indent=0, aligned=aligned)
    return "\n".join(lines) + "\n"


def _mapping(data: Mapping[str, Any], *, indent: int, aligned: Sequence[str] = ()) -> list[str]:
    """Block mapping lines; a value goes on its key's line when it fits there in flow style."""
    pad = " " * indent
    lines: list[str] = []
    for key, value in data.items():
        lines += _entry(pad, scalar(key), value, align=key in aligned)
    return lines


def _entry(pad: str, key: str, value: Any, *, align: bool = False) -> list[str]:
    """``key: value`` on one line, or ``key:`` followed by the value's block lines."""
    inline = flow(value)
    if align and isinstance(value, Mapping) and value:
        return [f"{pad}{key}:", *_aligned(value, len(pad) + 2)]
    fits = len(pad) + len(key) + 2 + len(inline) <= WIDTH and not (not pad and _nested(value))
    if not _is_collection(value) or not value or fits:
        return [f"{pad}{key}: {inline}"]
    if isinstance(value, Mapping):
        return [f"{pad}{key}:", *_mapping(value, indent=len(pad) + 2)]
    return [f"{pad}{key}:", *_sequence(value, indent=len(pad) + 2)]


def _aligned(data: Mapping[str, Any], indent: int) -> list[str]:
    """A mapping whose short flow values start in one column, like a table."""
    pad = " " * indent
    keys = {key: scalar(key) + ":" for key in data}
    fits = list(data)
    while True:  # padding to the longest key may push a line past WIDTH: that one goes to block style
        width = max((len(keys[k]) for k in fits), default=0)
        too_long = {k for k in fits if indent + width + 1 + len(flow(data[k])) > WIDTH}
        if not too_long:
            break
        fits = [k for k in fits if k not in too_long]
    lines: list[str] = []
    for key, value in data.items():
        if key in fits:
            lines.append(f"{pad}{keys[key].ljust(width)} {flow(value)}")
        else:
            lines += _entry(pad, scalar(key), value)
    return lines


def _sequence(items: Sequence[Any], *, indent: int) -> list[str]:
    """Block sequence lines: ``- item`` in flow style when it fits, else a block mapping after the dash."""
    pad = " " * indent
    lines: list[str] = []
    for item in items:
        inline = flow(item)
        if len(pad) + 2 + len(inline) <= WIDTH or not _is_collection(item) or not item:
            lines.append(f"{pad}- {inline}")
        elif isinstance(item, Mapping):
            nested = _mapping(item, indent=indent + 2)
            lines += [f"{pad}- {nested[0].lstrip()}", *nested[1:]]
        else:
            nested = _sequence(item, indent=indent + 2)
            lines += [f"{pad}- {nested[0].lstrip()}", *nested[1:]]
    return lines


def _nested(value: Any) -> bool:
    """A list of collections: at the top of a file it reads better one item a line."""
    return _is_sequence(value) and any(_is_collection(item) for item in value)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping) or _is_sequence(value)
