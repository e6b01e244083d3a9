"""The cache writes the model's frozen dataclasses as their field values (cache.dumps): what it reads back
is equal, field for field, to what it wrote; an entry whose fields no longer match is rebuilt, not trusted."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sample_models import RICH

from pgevolve import cache, model


def test_a_model_comes_back_equal_and_spelled_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path))
    db = replace(RICH, tables=(replace(RICH.tables[0], row_count=model.RowCount(rows=3)), *RICH.tables[1:]))
    hints = model.Hints(table_renames={"a": "b"}, unnamed_indexes=frozenset({("t", "t_x_idx")}))
    cache.store("canonical", "k", (db, hints, {"in_sync": ["x"]}))
    loaded = cache.load("canonical", "k")
    assert loaded == (db, hints, {"in_sync": ["x"]})
    assert repr(loaded[0]) == repr(db)
    assert loaded[0].tables[0].row_count == model.RowCount(rows=3)  # a field compare=False leaves out, kept


def test_an_entry_of_other_fields_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path))
    cache.store("canonical", "k", model.Column(name="id", type="integer"))
    path = tmp_path / "canonical" / "k.pickle"
    fewer = cache._restore, (model.Column, ("id",))  # as if Column had one field when it was written

    class Stale:
        def __reduce__(self) -> tuple[object, ...]:
            return fewer

    path.write_bytes(pickle.dumps(Stale()))
    assert cache.load("canonical", "k") is None


@dataclass(frozen=True, slots=True)
class _Base:
    a: int
    b: str = "b"


@dataclass(frozen=True, slots=True)
class _Derived(_Base):
    c: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Empty:
    pass


def test_inherited_fields_and_no_fields_come_back_equal() -> None:
    values = [_Derived(a=1, b="x", c=(2, 3)), _Base(a=4), _Empty()]
    assert pickle.loads(cache.dumps(values)) == values  # noqa: S301 - written just above
