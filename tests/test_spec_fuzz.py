"""No input crashes load_project: any YAML gives a Project or a SpecError, never another exception."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgevolve.errors import SpecError
from pgevolve.source import compile_project, load_project

NAMES = st.sampled_from(["id", "t", "users", "email", "a", "b", "vehicle", "x.y", "users.id", "t.id", "", "é" * 40])
COLUMN_KEYS = [
    "type", "nullable", "default", "primary_key", "unique", "references", "on_delete", "on_update", "enum", "check",
    "shape", "items", "identity", "generated", "collation", "description", "renamed_from", "promoted_from", "bogus",
]  # fmt: skip
TYPES = st.sampled_from(["integer", "serial", "text", "uuid", "jsonb", "tags", "custom_fields", "intger", "text[]",
                         "numeric(12,2)", "mood", "citext", "varchar(", "serial[]"])  # fmt: skip
EXPRESSIONS = st.sampled_from(["now()", "id > 0", "a, b", "(select 1)", "x); drop table t; --", "", "email"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), NAMES, TYPES, EXPRESSIONS,
                    st.sampled_from(["set null", "cascade", "always", "by default", "C"]))  # fmt: skip
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner,
                                                                                                    max_size=3)),
                      max_leaves=6)  # fmt: skip


def _column() -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(COLUMN_KEYS)
    return st.fixed_dictionaries({"type": TYPES}, optional={}).flatmap(
        lambda base: st.dictionaries(keys, VALUES, max_size=4).map(lambda extra: {**base, **extra})
    )


TABLE_PARTS = {
    "primary_key": st.one_of(st.lists(NAMES, max_size=2), st.fixed_dictionaries({"columns": st.lists(NAMES)})),
    "unique": st.lists(st.lists(NAMES, min_size=1, max_size=2), max_size=2),
    "checks": st.lists(st.fixed_dictionaries({"expression": EXPRESSIONS}, optional={"name": NAMES}), max_size=2),
    "foreign_keys": st.lists(
        st.fixed_dictionaries(
            {
                "columns": st.lists(NAMES, min_size=1, max_size=2),
                "references": st.fixed_dictionaries(
                    {"table": NAMES, "columns": st.lists(NAMES, min_size=1, max_size=2)}
                ),
            },
            optional={"on_delete": SCALARS, "name": NAMES},
        ),
        max_size=2,
    ),  # fmt: skip
    "indexes": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "columns": st.lists(NAMES, max_size=2),
                "expression": EXPRESSIONS,
                "where": EXPRESSIONS,
                "using": st.sampled_from(["btree", "gin", "hash"]),
                "unique": st.booleans(),
                "include": st.lists(NAMES, max_size=2),
                "name": NAMES,
            },
        ),
        max_size=3,
    ),  # fmt: skip
    "renamed_from": NAMES,
    "bogus": VALUES,
}
TABLES = st.fixed_dictionaries(
    {"table": NAMES, "columns": st.dictionaries(NAMES, _column(), min_size=1, max_size=4)},
    optional=TABLE_PARTS,
)
SHAPES = st.fixed_dictionaries(
    {"shape": st.just("vehicle"), "properties": st.dictionaries(NAMES, VALUES, max_size=3)},
    optional={"required": st.lists(NAMES, max_size=2), "enforce": SCALARS},
)
PROJECTS = st.fixed_dictionaries(
    {"schema": st.one_of(NAMES, st.just("public"))},
    optional={"enums": st.dictionaries(NAMES, VALUES, max_size=2), "extensions": VALUES},
)


def _load(project: dict, tables: list[dict], shape: dict | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "tables").mkdir()
        (root / "shapes").mkdir()
        (root / "pgevolve.yaml").write_text(yaml.safe_dump(project))
        for i, table in enumerate(tables):
            (root / "tables" / f"t{i}.yaml").write_text(yaml.safe_dump(table))
        if shape is not None:
            (root / "shapes" / "vehicle.yaml").write_text(yaml.safe_dump(shape))
        try:
            loaded = load_project(root)
        except SpecError as exc:
            assert exc.problems
            return
        compile_project(loaded)


@pytest.mark.long
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=PROJECTS, tables=st.lists(TABLES, min_size=1, max_size=3), shape=st.one_of(st.none(), SHAPES))
def test_any_project_is_a_project_or_a_spec_error(project: dict, tables: list[dict], shape: dict | None) -> None:
    _load(project, tables, shape)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_project_or_a_spec_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "tables").mkdir()
        (root / "pgevolve.yaml").write_text("schema: public\n")
        (root / "tables" / "t.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(SpecError):
            load_project(root)
