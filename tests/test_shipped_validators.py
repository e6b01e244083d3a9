"""The validators shipped in pgevolve/source/shipped: made from the format as it is, used when they fit,
and never in the way when the installed fastjsonschema is another version."""

from __future__ import annotations

from pathlib import Path

import fastjsonschema
import pytest

from pgevolve.source import shipped, validate
from pgevolve.source.validate import FileKind, validator_key

SHIPPED = Path(shipped.__file__).parent
KINDS: tuple[FileKind, ...] = ("projectFile", "tableFile", "shapeFile")


@pytest.mark.parametrize("kind", KINDS)
def test_the_shipped_keys_are_those_of_the_format_as_it_is(kind: FileKind) -> None:
    """Fails when format.schema.json changed and `python -m pgevolve.source.validate` was not run."""
    made_for = validator_key(shipped.FASTJSONSCHEMA_VERSION, validate._fast_definition(kind))
    assert shipped.KEYS[kind] == made_for, "format.schema.json changed: run python -m pgevolve.source.validate"


@pytest.mark.parametrize("kind", KINDS)
def test_the_shipped_code_is_what_fastjsonschema_generates(kind: FileKind) -> None:
    """Nobody edited a shipped module by hand (compared with fastjsonschema's own output when it is the version
    the modules were made with; with another, validate.py does not use them: the next test)."""
    if fastjsonschema.VERSION != shipped.FASTJSONSCHEMA_VERSION:
        pytest.skip(f"fastjsonschema {fastjsonschema.VERSION} installed; the modules were made with "
                    f"{shipped.FASTJSONSCHEMA_VERSION}")
    text = (SHIPPED / f"{shipped.MODULES[kind]}.py").read_text()
    assert text == validate.SHIPPED_HEADER + validate.shipped_validator_code(fastjsonschema, kind).rstrip() + "\n"


def test_a_validator_made_for_another_key_is_not_used_and_one_is_generated(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(shipped, "KEYS", {kind: "another fastjsonschema" for kind in KINDS})
    validate._fast_validator.cache_clear()
    try:
        generated = validate._fast_validator("tableFile")
        assert generated is not None and generated.__module__ != "pgevolve.source.shipped.table_file"
        generated({"table": "leads", "columns": {"id": {"type": "integer"}}})
        with pytest.raises(fastjsonschema.JsonSchemaException):
            generated({"table": "leads", "columns": "id"})
    finally:
        validate._fast_validator.cache_clear()


def test_the_shipped_validator_is_the_one_used_and_tells_valid_from_invalid() -> None:
    if fastjsonschema.VERSION != shipped.FASTJSONSCHEMA_VERSION:
        pytest.skip(f"fastjsonschema {fastjsonschema.VERSION} installed: the shipped modules are not used")
    validate._fast_validator.cache_clear()
    used = validate._fast_validator("tableFile")
    assert used is not None and used.__module__ == "pgevolve.source.shipped.table_file"
    used({"table": "leads", "columns": {"id": {"type": "integer"}}})
    with pytest.raises(fastjsonschema.JsonSchemaException):
        used({"table": "leads", "columns": "id"})
