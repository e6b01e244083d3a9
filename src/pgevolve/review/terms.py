"""Columns, indexes and shape properties described in a product manager's words."""

from __future__ import annotations

from typing import Any

from pgevolve.source.project import ColumnSpec, IndexSpec

_JSON_TYPES = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "yes/no",
               "object": "an object", "array": "a list"}


def c(name: str) -> str:
    """Inline code in Markdown, safe whatever the name holds (backticks and newlines included)."""
    text = " ".join(str(name).split())
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def values(items: Any) -> str:
    return ", ".join(str(v) for v in items)


def column_kind(column: ColumnSpec) -> str:
    """What the column holds: its SQL type, or what a JSON column holds."""
    if column.type == "custom_fields":
        return "custom fields (JSON object)"
    if column.type == "tags":
        return "tags (list of strings)"
    if column.shape:
        return f"{c(column.shape)} details (JSON)"
    if column.items:
        return f"list of {c(column.items)} (JSON)"
    return column.type


def is_required(column: ColumnSpec) -> bool:
    return column.primary_key or column.nullable is False or column.type in ("custom_fields", "tags")


def column_terms(column: ColumnSpec) -> str:
    """'text, optional, one of a, b; links to `users`' for a new column."""
    parts = [column_kind(column), "required" if is_required(column) else "optional"]
    if column.enum:
        parts.append(f"one of {values(column.enum)}")
    if column.default is not None and column.type not in ("custom_fields", "tags"):
        parts.append(f"default {c(str(column.default))}")
    if column.unique:
        parts.append("unique")
    if column.references:
        parts.append(f"links to {c(column.references.partition('.')[0])}")
    if column.promoted_from:
        parts.append(f"filled from {c(column.promoted_from)}")
    if column.generated:
        parts.append(f"computed as {c(column.generated)}")
    if column.check:
        parts.append(f"rule {c(column.check)}")
    return ", ".join(parts)


def index_terms(index: IndexSpec) -> str:
    """'an index on `status_id`, `assigned_to`' / 'a unique index on `auto_data->>'vin'` (where ...)'."""
    what = c(index.expression) if index.expression else ", ".join(c(n) for n in index.columns or ())
    kind = "a unique index" if index.unique else "an index"
    method = f" ({index.using})" if index.using != "btree" else ""
    where = f", for rows where {c(index.where)}" if index.where else ""
    return f"{kind}{method} on {what}{where}"


def property_terms(prop: dict[str, Any], *, required: bool = False) -> str:
    """'a string, one of gable, hip, flat; indexed' for a shape property."""
    kind = _JSON_TYPES.get(str(prop.get("type")), str(prop.get("type", "any value")))
    facts = []
    if "enum" in prop:
        facts.append(f"one of {values(prop['enum'])}")
    if "pattern" in prop:
        facts.append(f"matching {c(prop['pattern'])}")
    facts += _bounds(prop)
    if prop.get("items", {}).get("type"):
        facts.append(f"of {_JSON_TYPES.get(prop['items']['type'], prop['items']['type'])} items")
    if prop.get("nullable"):
        facts.append("may be null")
    if required:
        facts.append("required")
    text = kind + (", " + ", ".join(facts) if facts else "")
    extras = []
    if prop.get("index"):
        extras.append("indexed, unique" if prop["index"] == "unique" else "indexed")
    if prop.get("check") is True:
        extras.append("checked by PostgreSQL")
    if extras:
        text += "; " + ", ".join(extras)
    return text


def _bounds(prop: dict[str, Any]) -> list[str]:
    found = []
    for key, words in (("minimum", "at least"), ("maximum", "at most"), ("minLength", "at least {} characters"),
                       ("maxLength", "at most {} characters")):
        if key in prop:
            found.append(words.format(prop[key]) if "{}" in words else f"{words} {prop[key]}")
    return found


def description(text: Any) -> str:
    """' — When the lead prefers to be called' (without its final period: the sentence ends it)."""
    return f" — {plain(text).rstrip('.')}" if text else ""


_MARKDOWN_ACTIVE = str.maketrans({ch: f"\\{ch}" for ch in "\\`*_[]|#~"} | {"<": "&lt;", ">": "&gt;"})


def plain(text: Any) -> str:
    """Free text from a YAML file (a description) as Markdown that renders as written: no links, HTML or
    mentions that the pull request's author did not write as such."""
    return " ".join(str(text).split()).translate(_MARKDOWN_ACTIVE).replace("@", "@\u200b")
