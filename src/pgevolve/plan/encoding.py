"""The changes a plan came from, as JSON data and back (saved plans, ``plan --format json``).

Every record is tagged with its class name (``{"record": "AddColumn", ...}``), so a field
that may hold one of several records (``ReplaceKey.new``: a primary key or a UNIQUE) comes
back as the same class; only the records of ``changes`` and ``model`` are accepted.
Tuples and frozensets are written as lists and rebuilt from the field's type.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any

from pgevolve import changes, model

_MODULES = (changes, model)


@cache
def _records() -> dict[str, type]:
    return {name: value for module in _MODULES for name, value in vars(module).items()
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__}


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def encode(value: Any) -> Any:
    """Plain JSON data: records become tagged dicts, tuples and frozensets lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"record": type(value).__name__, **fields}
    if isinstance(value, (tuple, list)):
        return [encode(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(encode(item) for item in value)
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    return value


def decode_change(data: Any) -> changes.Change:
    """A Change from ``encode`` output; ValueError for anything else."""
    value: object = _decode(data, Any)
    if not isinstance(value, typing.get_args(changes.Change)):
        raise ValueError(f"not a change: {data.get('record') if isinstance(data, dict) else data!r}")
    return typing.cast(changes.Change, value)  # the isinstance above checked the union's members


def _decode(data: Any, annotation: Any) -> Any:
    if data is None:
        return None
    if isinstance(data, dict) and "record" in data:
        cls = _records().get(data["record"])
        if cls is None:
            raise ValueError(f"unknown record type {data['record']!r}")
        hints = _field_types(cls)
        return cls(**{name: _decode(item, hints[name]) for name, item in data.items() if name != "record"})
    origin = typing.get_origin(annotation)
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(item, args[0]) for item in data)
        return tuple(_decode(item, arg) for item, arg in zip(data, args, strict=True))
    if origin is frozenset:
        (item_type,) = typing.get_args(annotation)
        return frozenset(_decode(item, item_type) for item in data)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _decode(data, options[0] if len(options) == 1 else Any)
    return data
