"""Model values to plain JSON data and back (cache files, saved plans, fingerprints)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from functools import cache
from typing import Any

from pgevolve import model


def to_data(value: Any) -> Any:
    """Plain JSON-able data: dataclasses become dicts, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_data(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(to_data(item) for item in value)
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def from_data(cls: type, data: Any) -> Any:
    """Rebuild a model dataclass (recursively) from ``to_data`` output."""
    return _build(cls, data)


def _build(annotation: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        hints = _hints(annotation)
        return annotation(**{name: _build(hints[name], item) for name, item in data.items()})
    if origin is tuple:
        (item_type, *_rest) = typing.get_args(annotation)
        return tuple(_build(item_type, item) for item in data)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _build(options[0], data)
    return data


def fingerprint(value: Any) -> str:
    """A stable SHA-256 of a value's plain data."""
    text = json.dumps(to_data(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
