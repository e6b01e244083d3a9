"""Issue 11's reproductions (tests/cases/adoption/*): what import writes is the committed schema/, and
the whole adoption round trip holds. The golden runner (test_golden.py) checks the same cases' plan
text ("No changes.") and that a database built fresh from the YAML has the same catalog.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from roundtrip import read_tree, round_trip

from conftest import DatabaseFactory

CASES = sorted((Path(__file__).parent / "cases" / "adoption").iterdir())


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_import_writes_the_golden_yaml_and_round_trips(case: Path, databases: DatabaseFactory,
                                                       tmp_path: Path) -> None:
    original = databases.create((case / "before.sql").read_text())
    imported = round_trip(databases, original, tmp_path)
    assert imported == read_tree(case / "schema")
