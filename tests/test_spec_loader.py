"""source.marked_yaml: YAML to plain data with the line and column of every key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgevolve.errors import Problem
from pgevolve.source.marked_yaml import Mark, load_document


def load(tmp_path: Path, text: str | bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "f.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return load_document(path, "f.yaml")


def test_values_and_keys_keep_their_marks(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "table: t\ncolumns:\n  id: { type: uuid }\n")
    assert problems == []
    assert doc is not None
    assert doc.data == {"table": "t", "columns": {"id": {"type": "uuid"}}}
    assert doc.value_mark(("table",)) == Mark(1, 8)
    assert doc.key_mark(("columns", "id")) == Mark(3, 3)
    assert doc.value_mark(("columns", "id")) == Mark(3, 7)
    assert doc.value_mark(("columns", "id", "type")) == Mark(3, 15)
    assert doc.key_mark(("columns", "id", "type")) == Mark(3, 9)


def test_a_missing_path_falls_back_to_its_nearest_parent(tmp_path: Path) -> None:
    doc, _ = load(tmp_path, "columns:\n  id: { type: uuid }\n")
    assert doc is not None
    assert doc.value_mark(("columns", "id", "nullable")) == Mark(2, 7)
    assert doc.value_mark(("nothing", "here")) == Mark(1, 1)


def test_problem_points_at_the_node(tmp_path: Path) -> None:
    doc, _ = load(tmp_path, "a:\n  b: 3\n")
    assert doc is not None
    assert doc.problem(("a", "b"), "bad", value=3, hint="h") == Problem(
        file="f.yaml", line=2, column=6, message="bad", value=3, hint="h"
    )
    assert doc.problem(("a", "b"), "bad", at="key", severity="warning") == Problem(
        file="f.yaml", line=2, column=3, message="bad", severity="warning"
    )


def test_duplicate_key_is_an_error_at_the_second(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "columns:\n  email: { type: text }\n  id: {}\n  email: { type: int }\n")
    assert doc is not None
    assert problems == [
        Problem(
            file="f.yaml",
            line=4,
            column=3,
            message="duplicate key 'email' (first defined at line 2); YAML would silently keep only the last one",
        )
    ]


def test_keys_are_names_as_written_not_yaml_1_1_booleans(tmp_path: Path) -> None:
    doc, _ = load(tmp_path, "on: 1\nno: 2\nnull: 3\n1: 4\n")
    assert doc is not None
    assert doc.data == {"on": 1, "no": 2, "null": 3, "1": 4}


def test_values_follow_yaml_types_but_dates_stay_text(tmp_path: Path) -> None:
    doc, _ = load(tmp_path, "a: yes\nb: 1.50\nc: 2024-01-02\nd: ~\ne: '007'\n")
    assert doc is not None
    assert doc.data == {"a": True, "b": 1.5, "c": "2024-01-02", "d": None, "e": "007"}


def test_merge_keys_work_and_an_override_is_not_a_duplicate(tmp_path: Path) -> None:
    text = "base: &b { type: text, nullable: false }\ncol:\n  <<: *b\n  nullable: true\n"
    doc, problems = load(tmp_path, text)
    assert problems == []
    assert doc is not None
    assert doc.data["col"] == {"type": "text", "nullable": True}


def test_a_recursive_alias_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "a: &x\n  b: *x\n")
    assert doc is not None
    assert [p.message for p in problems] == ["an alias refers back to the node that contains it"]


def test_syntax_error_has_the_yaml_mark(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "a: [1, 2\nb: 3\n")
    assert doc is None
    assert [(p.line, p.column) for p in problems] == [(2, 2)]
    assert problems[0].message.startswith("invalid YAML: expected ',' or ']'")


def test_tab_indentation(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "a:\n\tb: 1\n")
    assert doc is None
    assert problems == [
        Problem(file="f.yaml", line=2, column=1, message="a tab character: YAML is indented with spaces only")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; expected a YAML mapping"),
        ("# just a comment\n", "the file is empty; expected a YAML mapping"),
        ("- a\n- b\n", "expected a mapping (key: value lines) at the top of the file, got a list"),
        ("hello\n", "expected a mapping (key: value lines) at the top of the file, got the value 'hello'"),
    ],
)
def test_files_that_are_not_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    doc, problems = load(tmp_path, text)
    assert doc is None
    assert problems == [Problem(file="f.yaml", line=1, column=1, message=message)]


def test_several_documents_in_one_file(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "a: 1\n---\nb: 2\n")
    assert doc is None
    assert problems == [
        Problem(
            file="f.yaml",
            line=2,
            column=1,
            message="a second YAML document ('---'): a file holds one table, one shape or the project",
        )
    ]


def test_non_utf8_points_at_the_byte(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, b"a: 1\nb: caf\xe9\n")
    assert doc is None
    assert problems == [
        Problem(file="f.yaml", line=2, column=7, message="the file is not valid UTF-8 (byte 0xe9); save it as UTF-8")
    ]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "\ufeffa: 1\n".encode())
    assert problems == []
    assert doc is not None and doc.data == {"a": 1}


def test_unknown_tag_and_complex_key_are_problems(tmp_path: Path) -> None:
    doc, problems = load(tmp_path, "a: !custom x\n? [k]\n: v\n")
    assert doc is not None
    assert [(p.line, p.column) for p in problems] == [(1, 4), (2, 3)]
    assert "could not determine a constructor for the tag '!custom'" in problems[0].message
    assert problems[1].message == "a mapping key must be a plain name, not a list or a mapping"


def test_unreadable_file(tmp_path: Path) -> None:
    doc, problems = load_document(tmp_path / "missing.yaml", "missing.yaml")
    assert doc is None
    assert problems[0].line == 0 and problems[0].message.startswith("cannot read the file")
