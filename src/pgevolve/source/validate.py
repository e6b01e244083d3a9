"""JSON Schema errors as Problems: file:line:column, the bad value, and a did-you-mean."""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import marshal
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pgevolve.errors import Problem, did_you_mean
from pgevolve.source.marked_yaml import Document, NodePath

if TYPE_CHECKING:  # jsonschema (about 0.3 s to import) explains an invalid file; a valid one never needs it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

FileKind = Literal["projectFile", "tableFile", "shapeFile"]

# Keys people reach for from other tools, and what pgevolve calls them.
_KEY_ALIASES = {
    "not_null": "nullable: false",
    "notnull": "nullable: false",
    "null": "nullable",
    "required": "nullable: false",
    "pk": "primary_key",
    "primarykey": "primary_key",
    "fk": "references",
    "foreign_key": "references",
    "comment": "description",
    "default_value": "default",
    "values": "enum",
    "index": "indexes (at table level)",
    "ondelete": "on_delete",
    "onupdate": "on_update",
}
_EXPECTED = {
    "boolean": "true or false",
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "a whole number",
    "number": "a number",
    "null": "empty",
}
_NAMED = {"columns": "column", "properties": "property", "enums": "enum"}
_NUMBERED = {
    "indexes": "index",
    "checks": "check",
    "unique": "unique constraint",
    "foreign_keys": "foreign key",
    "extensions": "extension",
}


@cache
def format_json_schema() -> dict[str, Any]:
    """The JSON Schema of every file under schema/ (project, table, shape), as shipped with pgevolve."""
    text = resources.files("pgevolve.source").joinpath("format.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(kind: FileKind) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    # One $def per file kind, so that errors are about a table, not "matches none of three forms".
    root = {key: value for key, value in format_json_schema().items() if key != "oneOf"}
    return Draft202012Validator({**root, "$ref": f"#/$defs/{kind}"})


@cache
def _fast_validator(kind: FileKind) -> Callable[[Any], Any] | None:
    """The same schema compiled to Python by fastjsonschema: ~15x faster on valid files.

    It stops at the first error, so it only answers "valid?"; the full, positioned
    list of errors still comes from jsonschema, which runs only when a file is invalid.
    """
    try:
        import fastjsonschema

        definition = _fast_definition(kind)
        key = validator_key(fastjsonschema.VERSION, definition)
        return _shipped_validator(kind, key) or _compiled_validator(fastjsonschema, definition, key)
    except Exception:  # noqa: BLE001 - any trouble compiling: fall back to jsonschema alone
        return None


def _fast_definition(kind: FileKind) -> dict[str, Any]:
    root = {key: value for key, value in format_json_schema().items() if key not in ("oneOf", "$id")}
    return {**root, "$ref": f"#/$defs/{kind}"}


def validator_key(fastjsonschema_version: str, definition: dict[str, Any]) -> str:
    """What a validator's code follows from: fastjsonschema's version, the definition, our rewrite of it."""
    text = "\0".join((fastjsonschema_version, json.dumps(definition, sort_keys=True), _EAGER_NAME.pattern))
    return hashlib.sha256(text.encode()).hexdigest()


def _shipped_validator(kind: FileKind, key: str) -> Callable[[Any], Any] | None:
    """The validator pgevolve ships (``source/shipped``), when it was generated from this very definition by
    this very fastjsonschema: a cold run (a fresh CI runner, no cache) then skips generating and compiling it
    (~0.17 s). Else None: generated here and kept in the cache, as any other version is."""
    from pgevolve.source import shipped

    if shipped.KEYS.get(kind) != key:
        return None
    module = importlib.import_module(f"pgevolve.source.shipped.{shipped.MODULES[kind]}")
    return module.validate  # type: ignore[no-any-return]


def shipped_validator_code(fastjsonschema: Any, kind: FileKind) -> str:
    """The Python source of ``source/shipped``'s validator of ``kind`` (``write_shipped_validators``)."""
    return _names_made_lazily(fastjsonschema.compile_to_code(_fast_definition(kind)))


def write_shipped_validators(directory: Path) -> None:
    """Generate ``source/shipped``: one module per file kind and the keys they were made for. Run after a change
    to format.schema.json or to fastjsonschema: ``python -m pgevolve.source.validate``."""
    import fastjsonschema

    from pgevolve.source.shipped import MODULES

    kinds: tuple[FileKind, ...] = get_args(FileKind)
    keys = {kind: validator_key(fastjsonschema.VERSION, _fast_definition(kind)) for kind in kinds}
    for kind in kinds:
        code = shipped_validator_code(fastjsonschema, kind)
        (directory / f"{MODULES[kind]}.py").write_text(f"{SHIPPED_HEADER}{code.rstrip()}\n")
    init = (directory / "__init__.py").read_text()
    start = init.index(_KEYS_START)
    lines = [_KEYS_START, f"FASTJSONSCHEMA_VERSION = {fastjsonschema.VERSION!r}", "KEYS: dict[str, str] = {",
             *(f"    {kind!r}: {key!r}," for kind, key in keys.items()), "}"]
    (directory / "__init__.py").write_text(init[:start] + "\n".join(lines) + "\n")


SHIPPED_HEADER = ("# Generated by fastjsonschema from pgevolve/source/format.schema.json: do not edit.\n"
                  "# Made again by `python -m pgevolve.source.validate` (source/shipped/__init__.py).\n"
                  "# ruff: noqa\n# mypy: ignore-errors\n")
_KEYS_START = "# The keys (validate.validator_key) the modules were generated for; written by write_shipped_validators."


# fastjsonschema names each item it descends into for its error message, eagerly, as
# "...columns.{data__columns_key}".format(**locals()): a copy of the function's locals per column of
# every valid file. The same text as an f-string reads just the one variable.
_EAGER_NAME = re.compile(r'"((?:[^"\\{}\n]|\{[A-Za-z_][A-Za-z_0-9]*\})*)"\.format\(\*\*locals\(\)\)')


def _names_made_lazily(code: str) -> str:
    return _EAGER_NAME.sub(r'f"\1"', code)


def _compiled_validator(fastjsonschema: Any, definition: dict[str, Any], key: str) -> Callable[[Any], Any]:
    """fastjsonschema's validator, its Python code kept in pgevolve's cache under ``key`` (``validator_key``)
    and pgevolve's code version: generating and compiling it costs a cold run about 0.4 s, loading it a few
    milliseconds."""
    from pgevolve import cache

    key = cache.key_of("fastjsonschema", key)
    stored = cache.load("validators", key)
    if isinstance(stored, bytes):
        namespace: dict[str, Any] = {}
        exec(marshal.loads(stored), namespace)  # noqa: S102 - code pgevolve generated from its own schema
        return namespace["validate"]  # type: ignore[no-any-return]
    code = compile(_names_made_lazily(fastjsonschema.compile_to_code(definition)), "<fastjsonschema>", "exec")
    cache.store("validators", key, marshal.dumps(code))
    namespace = {}
    exec(code, namespace)  # noqa: S102
    return namespace["validate"]  # type: ignore[no-any-return]


def schema_problems(doc: Document, kind: FileKind) -> list[Problem]:
    """Every place where the document breaks the format's JSON Schema."""
    fast = _fast_validator(kind)
    if fast is not None:
        import fastjsonschema

        try:
            fast(doc.data)
            return []
        except fastjsonschema.JsonSchemaException:
            pass
    problems: list[Problem] = []
    for error in _validator(kind).iter_errors(doc.data):
        problems += _convert(error, doc)
    return problems


def without_unknown_keys(doc: Document, kind: FileKind) -> Document | None:
    """The document minus its unknown keys, when those are its only JSON Schema errors; else None.

    A misspelled key is reported already; dropping it lets the semantic checks of the
    rest of the file run in the same pass instead of after the typo is fixed.
    """
    data = copy.deepcopy(doc.data)
    for error in _validator(kind).iter_errors(doc.data):
        if error.validator != "additionalProperties":
            return None
        parent = _at(data, tuple(error.absolute_path))
        known = error.schema.get("properties", {})
        for key in [k for k in parent if k not in known]:
            del parent[key]
    return replace(doc, data=data)


def _at(data: Any, path: NodePath) -> Any:
    for step in path:
        data = data[step]
    return data


def describe(path: NodePath) -> str:
    """Words for a place in a file: "'nullable' of column 'email'", "index #2"."""
    phrases: list[str] = []
    i = 0
    while i < len(path):
        key = path[i]
        nxt = path[i + 1] if i + 1 < len(path) else None
        if key in _NAMED and isinstance(nxt, str):
            phrases.append(_named(_NAMED[str(key)], nxt, phrases))
            i += 2
        elif key in _NUMBERED and isinstance(nxt, int):
            phrases.append(f"{_NUMBERED[str(key)]} #{nxt + 1}")
            i += 2
        elif isinstance(nxt, int):
            phrases.append(f"item #{nxt + 1} of '{key}'")
            i += 2
        else:
            phrases.append(f"item #{key + 1}" if isinstance(key, int) else f"'{key}'")
            i += 1
    return " of ".join(reversed(phrases)) or "the file"


def _named(label: str, name: str, phrases: list[str]) -> str:
    """A named element; nested shape properties read as one dotted path: property 'owner.name'."""
    prefix = "property '"
    if label == "property" and phrases and phrases[-1].startswith(prefix):
        name = f"{phrases.pop()[len(prefix) : -1]}.{name}"
    return f"{label} '{name}'"


# jsonschema types a ValidationError's fields as "value or Unset"; an error from iter_errors has them all set.
def _instance(error: ValidationError) -> Any:
    """The value that failed."""
    return error.instance


def _value(error: ValidationError) -> Any:
    """The failed keyword's value in the schema (the allowed enum values, the required keys, ...)."""
    return error.validator_value


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema that failed."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _convert(error: ValidationError, doc: Document) -> list[Problem]:
    path: NodePath = tuple(error.absolute_path)
    if "propertyNames" in error.schema_path:
        return [doc.problem((*path, _instance(error)), f"a name in {describe(path)} is empty", at="key")]
    match error.validator:
        case "additionalProperties":
            return _unknown_keys(error, doc, path)
        case "required":
            return _missing_keys(error, doc, path)
        case "type":
            return [_wrong_type(error, doc, path)]
        case "enum":
            return [_not_in_enum(error, doc, path)]
        case "oneOf" | "anyOf":
            return _best_branch(error, doc, path)
        case "uniqueItems":
            return [_duplicate_item(error, doc, path)]
        case "pattern":
            message = _schema(error).get("patternErrorMessage", f"must match {_value(error)}")
            return [doc.problem(path, f"{describe(path)} {message}", value=_instance(error))]
        case "minLength" | "minItems" | "minProperties":
            return [doc.problem(path, f"{describe(path)} must not be empty", value=_shown(_instance(error)))]
        case "minimum":
            message = f"{describe(path)} must be at least {_value(error)}"
            return [doc.problem(path, message, value=_instance(error))]
        case "maximum":
            message = f"{describe(path)} must be at most {_value(error)}"
            return [doc.problem(path, message, value=_instance(error))]
    return [doc.problem(path, f"{describe(path)}: {error.message}")]


def _unknown_keys(error: ValidationError, doc: Document, path: NodePath) -> list[Problem]:
    known = sorted(_schema(error).get("properties", {}))
    problems = []
    for key in _instance(error):
        if key in known:
            continue
        hint = did_you_mean(key, known)
        if hint is None and key.lower() in _KEY_ALIASES:
            hint = f"pgevolve calls it '{_KEY_ALIASES[key.lower()]}'"
        where = f" in {describe(path)}" if path else ""
        message = f"unknown key '{key}'{where}"
        if hint is None and _instance(error)[key] is None:
            hint = "inside { ... } a comma ends the value: put text that has commas in quotes"
        if hint is None:
            hint = "known keys: " + ", ".join(known)
        problems.append(doc.problem((*path, key), message, hint=hint, at="key"))
    return problems


def _missing_keys(error: ValidationError, doc: Document, path: NodePath) -> list[Problem]:
    missing = [key for key in _value(error) if key not in _instance(error)]
    owner = describe(path) if path else "the file"
    return [doc.problem(path, f"{owner} is missing the required key '{key}'", at="key") for key in missing]


def _wrong_type(error: ValidationError, doc: Document, path: NodePath) -> Problem:
    expected = _value(error) if isinstance(_value(error), list) else [_value(error)]
    words = " or ".join(_EXPECTED.get(t, t) for t in expected)
    message = f"{describe(path)} must be {words}"
    if isinstance(_instance(error), dict | list):
        message += f", not {'a mapping' if isinstance(_instance(error), dict) else 'a list'}"
    return doc.problem(path, message, value=_shown(_instance(error)), hint=_type_hint(expected, _instance(error)))


def _type_hint(expected: Sequence[str], instance: object) -> str | None:
    if "string" in expected and isinstance(instance, bool):
        return "YAML reads yes/no/on/off/true/false as booleans: put the text in quotes"
    if "boolean" in expected and isinstance(instance, str):
        return "write true or false, without quotes"
    if "array" in expected and isinstance(instance, str):
        return f"write a list: [{instance}]"
    if instance is None:
        return "the value is missing after the colon"
    return None


def _not_in_enum(error: ValidationError, doc: Document, path: NodePath) -> Problem:
    allowed = [v for v in _value(error)]
    words = ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in allowed)
    hint = did_you_mean(_instance(error), [v for v in allowed if isinstance(v, str)])
    if hint is None and isinstance(_instance(error), bool) and any(isinstance(v, str) for v in allowed):
        hint = "YAML reads yes/no/on/off as booleans: put the text in quotes"
    return doc.problem(path, f"{describe(path)} must be one of: {words}", value=_shown(_instance(error)), hint=hint)


def _duplicate_item(error: ValidationError, doc: Document, path: NodePath) -> Problem:
    seen: list[object] = []
    for index, item in enumerate(_instance(error)):
        if item in seen:
            return doc.problem((*path, index), f"{describe(path)} lists {item!r} twice")
        seen.append(item)
    return doc.problem(path, f"{describe(path)} has duplicate items")


def _best_branch(error: ValidationError, doc: Document, path: NodePath) -> list[Problem]:
    """For oneOf/anyOf: the errors of the form whose type fits the value, else what forms are allowed."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [errs for errs in branches.values() if not any(_root_type_error(e) for e in errs)]
    if fitting:
        best = min(fitting, key=len)
        return [problem for sub in best for problem in _convert(sub, doc)]
    expected = sorted({t for errs in branches.values() for e in errs if _root_type_error(e) for t in _types(e)})
    message = f"{describe(path)} must be " + " or ".join(_EXPECTED.get(t, t) for t in expected)
    hint = _type_hint(expected, _instance(error))
    return [doc.problem(path, message, value=_shown(_instance(error)), hint=hint)]


def _root_type_error(error: ValidationError) -> bool:
    return error.validator == "type" and not error.relative_path


def _types(error: ValidationError) -> list[str]:
    value = _value(error)
    return list(value) if isinstance(value, list) else [value]


def _shown(instance: object) -> object:
    """The value to show in a problem: scalars as they are, containers not at all (too long)."""
    return None if isinstance(instance, dict | list) else instance


if __name__ == "__main__":
    write_shipped_validators(Path(__file__).with_name("shipped"))
