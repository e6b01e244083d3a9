"""Shape changes in product terms: "Shape `home` (used by `leads.home_data`) gains `roof_type`: a string, ..."."""

from __future__ import annotations

from typing import Any

from pgevolve.review.terms import c, description, plain, property_terms, values
from pgevolve.source.project import Project

_ENFORCE = {"none": "not checked by PostgreSQL (documented and in the generated JSON Schema)",
            "types": "checked by PostgreSQL for its indexed properties' types",
            "strict": "checked strictly by PostgreSQL (every declared property, no other keys)"}


def used_by(project: Project, shape: str) -> list[str]:
    """`table.column` of every column whose values have this shape (or are lists of it)."""
    return sorted(f"{t.name}.{col.name}" for t in project.tables for col in t.columns
                  if shape in (col.shape, col.items))


def shape_lines(base: dict[str, dict[str, Any]], head: Project) -> list[str]:
    """One line per shape added, removed, or per property changed."""
    lines = []
    for name in sorted(set(base) | set(head.shapes)):
        old, new = base.get(name), head.shapes.get(name)
        users = used_by(head, name)
        label = f"Shape {c(name)}" + (f" (used by {', '.join(c(u) for u in users)})" if users else "")
        if old is None and new is not None:
            lines.append(f"New shape {c(name)}{description(new.get('description'))}; properties: "
                         f"{_property_list(new)}.")
        elif new is None:
            lines.append(f"Shape {c(name)} is removed.")
        elif old is not None:
            lines += [f"{label} {text}" for text in _object_changes(old, new, "")]
    return lines


def _property_list(shape: dict[str, Any]) -> str:
    required = set(shape.get("required") or ())
    props = shape.get("properties") or {}
    return "; ".join(f"{c(k)} ({property_terms(v, required=k in required)})" for k, v in props.items()) or "none"


def _object_changes(old: dict[str, Any], new: dict[str, Any], prefix: str) -> list[str]:
    """Changes of one object level: enforce, description, properties (recursively), required."""
    lines = []
    if not prefix and old.get("enforce", "types") != new.get("enforce", "types"):
        lines.append(f"is now {_ENFORCE.get(new.get('enforce', 'types'), new.get('enforce'))}.")
    if not prefix and old.get("description") != new.get("description"):
        lines.append(f"is now described as: {plain(new.get('description') or '(nothing)')}.")
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
    for key in new_props.keys() - old_props.keys():
        lines.append(f"gains {c(prefix + key)}: {property_terms(new_props[key], required=key in new_required)}"
                     f"{description(new_props[key].get('description'))}.")
    for key in old_props.keys() - new_props.keys():
        lines.append(f"no longer declares {c(prefix + key)} (values already stored stay in the JSON).")
    for key in sorted(old_props.keys() & new_props.keys()):
        lines += _property_changes(old_props[key], new_props[key], prefix + key)
        if (key in old_required) != (key in new_required):
            lines.append(f"makes {c(prefix + key)} {'required' if key in new_required else 'optional'}.")
    return sorted(lines, key=lambda line: (not line.startswith("is now"), line))


def _property_changes(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    what = c(path)
    lines = []
    if old.get("type") != new.get("type"):
        lines.append(f"changes {what} to {property_terms({'type': new.get('type')})} (was "
                     f"{property_terms({'type': old.get('type')})}).")
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum != new_enum:
        if old_enum and new_enum:
            added = [v for v in new_enum if v not in old_enum]
            gone = [v for v in old_enum if v not in new_enum]
            if added:
                lines.append(f"{what} also allows {', '.join(c(v) for v in added)}.")
            if gone:
                lines.append(f"{what} no longer allows {', '.join(c(v) for v in gone)}.")
        else:
            lines.append(f"{what} accepts {'only ' + values(new_enum) if new_enum else 'any value'}.")
    if bool(old.get("index")) != bool(new.get("index")) or old.get("index") != new.get("index"):
        lines.append(f"{'indexes' if new.get('index') else 'no longer indexes'} {what}"
                     f"{' (unique)' if new.get('index') == 'unique' else ''}.")
    for key in ("pattern", "minimum", "maximum", "minLength", "maxLength", "nullable", "check", "description",
                "items"):
        if old.get(key) != new.get(key):
            lines.append(f"changes {what}: {key} {c(_show(old.get(key)))} → {c(_show(new.get(key)))}.")
    if old.get("type") == "object" == new.get("type"):
        lines += [f"{text}" for text in _object_changes(old, new, path + ".")]
    return lines


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
