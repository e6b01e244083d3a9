"""The compile cache's key (source.early.sources_key) reads only what load_project may read: a file it would
refuse means no key, never a read; a link that stays inside the schema directory is read as load_project
reads it. Its per-directory resolution (a thousand files, one realpath each directory) keeps that."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgevolve.source.early import sources_key as _sources_key


def _project(root: Path) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer }\n")
    return schema


def test_a_key_over_the_files_and_a_new_one_when_a_byte_changes(tmp_path: Path) -> None:
    schema = _project(tmp_path)
    first = _sources_key(schema)
    assert first is not None and _sources_key(schema) == first
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: bigint }\n")
    assert _sources_key(schema) not in (None, first)


def test_links_inside_are_read_and_links_out_or_to_no_regular_file_give_no_key(tmp_path: Path) -> None:
    schema = _project(tmp_path)
    (schema / "shared").mkdir()
    (schema / "shared" / "u.yaml").write_text("table: u\ncolumns:\n  id: { type: integer }\n")
    (schema / "tables" / "u.yaml").symlink_to(schema / "shared" / "u.yaml")
    inside = _sources_key(schema)
    assert inside is not None
    outside = tmp_path / "outside.yaml"
    outside.write_text("table: v\n")
    (schema / "tables" / "v.yaml").symlink_to(outside)
    assert _sources_key(schema) is None
    (schema / "tables" / "v.yaml").unlink()
    (schema / "tables" / "v.yaml").symlink_to("/dev/zero")  # no regular file: never read
    assert _sources_key(schema) is None
    (schema / "tables" / "v.yaml").unlink()
    (schema / "tables" / "v.yaml").mkdir()  # a directory named like a file
    assert _sources_key(schema) is None


def test_a_directory_linked_out_of_the_schema_directory_gives_no_key(tmp_path: Path) -> None:
    schema = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "w.yaml").write_text("table: w\n")
    os.rename(schema / "tables", tmp_path / "tables-real")
    (schema / "tables").symlink_to(elsewhere)
    assert _sources_key(schema) is None


def test_an_oversized_file_gives_no_key(tmp_path: Path) -> None:
    schema = _project(tmp_path)
    with (schema / "tables" / "big.yaml").open("wb") as big:
        big.truncate(2 * 1024 * 1024)  # sparse
    assert _sources_key(schema) is None


def test_a_relative_schema_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = _project(tmp_path)
    monkeypatch.chdir(schema)
    assert _sources_key(Path(".")) is not None
    monkeypatch.chdir(tmp_path)
    assert _sources_key(Path("schema")) is not None
