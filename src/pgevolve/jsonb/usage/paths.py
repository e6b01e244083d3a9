"""Key paths inside a JSON document, as the usage report writes them.

``referral_source``, ``household.size``; ``[]`` for the elements of an array
(``[].channel``, the channel of each element of an array column); keys that are
not plain identifiers are JSON strings (``"we.ird".x``). The empty path is the
column's whole value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def path_segments(path: str) -> tuple[str, ...]:
    """'household.size' -> ('household', 'size'); '[].channel' -> ('[]', 'channel'); quoted keys unquoted."""
    segments: list[str] = []
    i = 0
    while i < len(path):
        if path.startswith("[]", i):
            segments.append("[]")
            i += 2
        elif path[i] == ".":
            i += 1
        elif path[i] == '"':
            decoder = json.JSONDecoder()
            key, end = decoder.raw_decode(path, i)
            segments.append(key)
            i = end
        else:
            end = i
            while end < len(path) and path[end] not in '.["':
                end += 1
            segments.append(path[i:end])
            i = end
    return tuple(segments)


def format_path(segments: Sequence[str]) -> str:
    """The inverse of path_segments: keys that are not plain identifiers are written as JSON strings."""
    text = ""
    for segment in segments:
        if segment == "[]":
            text += "[]"
            continue
        plain = _PLAIN_KEY.fullmatch(segment) is not None
        text += ("." if text else "") + (segment if plain else json.dumps(segment, ensure_ascii=False))
    return text
