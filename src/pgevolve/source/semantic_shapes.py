"""Semantic checks of a shape file: required keys declared, keywords that fit each JSON type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pgevolve.errors import Problem, did_you_mean
from pgevolve.source.marked_yaml import Document, NodePath
from pgevolve.source.validate import describe

# Which JSON types each keyword applies to.
_APPLIES = {
    "pattern": ("string",),
    "minLength": ("string",),
    "maxLength": ("string",),
    "minimum": ("integer", "number"),
    "maximum": ("integer", "number"),
    "properties": ("object",),
    "required": ("object",),
    "items": ("array",),
}
_BOUNDS = (("minimum", "maximum"), ("minLength", "maxLength"))


def check_shape(doc: Document) -> list[Problem]:
    """Every problem of one shape file (already valid against the JSON Schema)."""
    data = doc.data
    problems = _file_name(doc)
    problems += _required_declared(doc, (), data)
    for name, prop in data["properties"].items():
        problems += _property(doc, ("properties", name), prop, top_level=True)
    return problems


def _file_name(doc: Document) -> list[Problem]:
    stem, name = Path(doc.file).stem, doc.data["shape"]
    if not is_file_name(name):
        # generate writes generated/jsonschema/<shape>.schema.json: "../x" would write outside it.
        return [doc.problem(("shape",), "a shape name is also a file name (generated/jsonschema/<shape>.schema.json): "
                            "it cannot hold '/', '\\' or control characters, nor start with '.'", value=name)]
    if stem == name:
        return []
    message = f"the file is named '{stem}' but defines shape '{name}'"
    return [doc.problem(("shape",), message, hint=f"rename the file to {name}.yaml", severity="warning")]


def _required_declared(doc: Document, path: NodePath, data: dict[str, Any]) -> list[Problem]:
    declared = data.get("properties") or {}
    problems = []
    for i, key in enumerate(data.get("required") or ()):
        if key not in declared:
            where = (*path, "required", i)
            message = f"required key '{key}' is not one of the declared properties"
            problems.append(doc.problem(where, message, hint=did_you_mean(key, declared)))
    return problems


def _property(doc: Document, path: NodePath, prop: dict[str, Any], *, top_level: bool) -> list[Problem]:
    problems = _keywords_fit(doc, path, prop) + _bounds(doc, path, prop) + _enum_values(doc, path, prop)
    if "index" in prop and prop["index"] is not False and not top_level:
        problems.append(doc.problem((*path, "index"), f"{describe(path)}: only top-level properties can be "
                                    "indexed", at="key"))
    if "check" in prop and not top_level:
        problems.append(doc.problem((*path, "check"), f"{describe(path)}: 'check' applies to top-level properties "
                                    "(a nested property is checked with the property that holds it)", at="key"))
    if prop["type"] == "object":
        problems += _required_declared(doc, path, prop)
        for name, sub in (prop.get("properties") or {}).items():
            problems += _property(doc, (*path, "properties", name), sub, top_level=False)
    if prop["type"] == "array" and "items" in prop:
        problems += _property(doc, (*path, "items"), prop["items"], top_level=False)
    return problems


def _keywords_fit(doc: Document, path: NodePath, prop: dict[str, Any]) -> list[Problem]:
    kind = prop["type"]
    return [
        doc.problem((*path, key), f"'{key}' applies to {' and '.join(types)} properties; {describe(path)} is "
                    f"{kind}", at="key")
        for key, types in _APPLIES.items()
        if key in prop and kind not in types
    ]


def _bounds(doc: Document, path: NodePath, prop: dict[str, Any]) -> list[Problem]:
    return [
        doc.problem((*path, high), f"{describe(path)}: {high} {prop[high]} is below {low} {prop[low]}")
        for low, high in _BOUNDS
        if low in prop and high in prop and prop[high] < prop[low]
    ]


def _enum_values(doc: Document, path: NodePath, prop: dict[str, Any]) -> list[Problem]:
    kind = prop["type"]
    return [
        doc.problem((*path, "enum", i), f"{describe(path)} is {kind}, but its enum lists {value!r}", value=value)
        for i, value in enumerate(prop.get("enum") or ())
        if not _is_json_type(value, kind) and not (value is None and prop.get("nullable"))
    ]


def _is_json_type(value: object, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if isinstance(value, int):
        return kind in ("integer", "number")
    if isinstance(value, float):
        return kind == "number" or (kind == "integer" and value.is_integer())
    return {"string": str, "object": dict, "array": list}.get(kind) is type(value)


def is_file_name(name: str) -> bool:
    """Whether ``name`` can be one file name in a directory, on any system, and nothing else."""
    return (bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name
            and name.isprintable())
