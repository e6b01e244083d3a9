"""A shape as a JSON Schema 2020-12 document, for validation in the application."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://pgevolve.dev/schemas/shapes"

# Keys of a property that JSON Schema spells the same way.
_SAME = ("description", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength")


def shape_document(shape: Mapping[str, Any]) -> dict[str, Any]:
    """The whole document: $schema, $id, title, and the shape's object schema."""
    name = str(shape["shape"])
    strict = shape.get("enforce", "types") == "strict"
    document: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "$id": f"{ID_BASE}/{name}.schema.json", "title": name}
    if shape.get("description"):
        document["description"] = shape["description"]
    document.update(_object(shape, strict=strict))
    document["x-pgevolve-enforce"] = shape.get("enforce", "types")
    return document


def _object(node: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    properties = node.get("properties") or {}
    schema["properties"] = {key: _property(prop, strict=strict) for key, prop in properties.items()}
    if node.get("required"):
        schema["required"] = list(node["required"])
    if strict:
        schema["additionalProperties"] = False
    return schema


def _property(prop: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    kind = prop.get("type")
    schema: dict[str, Any] = {}
    if kind == "object":
        schema = _object(prop, strict=strict)
    elif kind is not None:
        schema["type"] = kind
    if prop.get("nullable") and kind is not None:
        schema["type"] = [kind, "null"]
    if kind == "array" and prop.get("items"):
        schema["items"] = _property(prop["items"], strict=strict)
    for key in _SAME:
        if key in prop:
            schema[key] = prop[key]
    if prop.get("index"):
        schema["x-pgevolve-index"] = prop["index"]
    return schema
