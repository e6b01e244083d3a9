"""The compiled model builds on PostgreSQL, and the server keeps its types, nullability and names."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import require_extensions
from pgevolve import model as m
from pgevolve.source import compile_project, load_project

ROOT = Path(__file__).parent.parent
PROJECTS = [ROOT / "tests" / "spec_fixtures" / "valid", ROOT / "schema"]


def _names(table: m.Table) -> list[str]:
    keys = [table.primary_key] if table.primary_key else []
    return sorted(x.name for x in (*keys, *table.uniques, *table.checks, *table.foreign_keys, *table.indexes))


@pytest.mark.parametrize("schema_dir", PROJECTS, ids=lambda p: p.name)
def test_server_agrees_with_the_compiled_model(pg_server_dsn: str, schema_dir: Path) -> None:
    from pgevolve.catalog.normalize import materialize

    desired, _ = compile_project(load_project(schema_dir))
    require_extensions(pg_server_dsn, [e.name for e in desired.extensions])
    actual = materialize(desired, server_dsn=pg_server_dsn)
    assert [t.name for t in actual.tables] == [t.name for t in desired.tables]
    for mine, theirs in zip(desired.tables, actual.tables, strict=True):
        assert [(c.name, c.type, c.nullable) for c in mine.columns] == [
            (c.name, c.type, c.nullable) for c in theirs.columns
        ], mine.name
        assert _names(mine) == _names(theirs), mine.name
    assert actual.enums == desired.enums
