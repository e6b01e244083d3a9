"""Semantic checks (what the JSON Schema cannot say), each pinned to file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgevolve.errors import Problem, SpecError
from pgevolve.source import load_project

PROJECT = "schema: public\n"
USERS = "table: users\ncolumns:\n  id: { type: integer, primary_key: true }\n  email: { type: text }\n"


def problems_of(tmp_path: Path, files: dict[str, str], project: str = PROJECT) -> list[Problem]:
    """Every problem (errors then warnings) that load_project reports, with paths relative to the schema dir."""
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "pgevolve.yaml").write_text(project)
    for relative, text in files.items():
        (schema / relative).parent.mkdir(parents=True, exist_ok=True)
        (schema / relative).write_text(text)
    try:
        project_ = load_project(schema)
    except SpecError as exc:
        found = exc.problems + exc.warnings
    else:
        found = list(project_.warnings)
    prefix = f"{schema}/"
    return [
        Problem(
            file=p.file.removeprefix(prefix),
            line=p.line,
            column=p.column,
            message=p.message,
            value=p.value,
            hint=p.hint,
            severity=p.severity,
        )
        for p in found
    ]


def only(problems: list[Problem], file: str, line: int, column: int) -> Problem:
    at = [p for p in problems if (p.file, p.line, p.column) == (file, line, column)]
    assert len(at) == 1, problems
    return at[0]


def t(columns: str, extra: str = "", name: str = "t") -> str:
    """A table file whose column lines start at line 3."""
    return f"table: {name}\ncolumns:\n{columns}{extra}"


ID = "  id: { type: integer, primary_key: true }\n"  # line 3 of t()

CASES = [
    # (files, project, (file, line, column), message, hint)
    (
        {"tables/t.yaml": t("  id: { type: serial, primary_key: true, default: 1 }\n")},
        None,
        ("tables/t.yaml", 3, 42),
        "a serial column makes its own default from a sequence; 'default' does not go with it",
        "use type: integer (or bigint) instead",
    ),
    (
        {"tables/t.yaml": t(ID + "  code: { type: text, identity: always }\n")},
        None,
        ("tables/t.yaml", 4, 33),
        "an identity column must be smallint, integer or bigint; column 'code' is text",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + "  n: { type: integer, identity: always, default: 1 }\n")},
        None,
        ("tables/t.yaml", 4, 41),
        "column 'n' cannot have both 'identity' and 'default'",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + '  n: { type: integer, generated: "id * 2", default: 1 }\n')},
        None,
        ("tables/t.yaml", 4, 44),
        "column 'n' cannot have both 'generated' and 'default'",
        None,
    ),
    (
        {"tables/t.yaml": t("  id: { type: integer, primary_key: true, nullable: true }\n")},
        None,
        ("tables/t.yaml", 3, 53),
        "column 'id' is in the primary key, which is always NOT NULL",
        "remove nullable: true",
    ),
    (
        {"tables/t.yaml": t(ID + "  b: { type: integer, primary_key: true }\n")},
        None,
        ("tables/t.yaml", 4, 23),
        "several columns say primary_key: true (id, b)",
        "a composite key is written at table level: primary_key: [id, b]",
    ),
    (
        {"tables/t.yaml": t(ID, "primary_key: [id]\n")},
        None,
        ("tables/t.yaml", 4, 1),
        "table 't' has a table-level primary_key and column 'id' says primary_key: true; keep one",
        None,
    ),
    (
        {"tables/t.yaml": t("  id: { type: integer }\n", "primary_key: [idd]\n")},
        None,
        ("tables/t.yaml", 4, 15),
        "item #1 of 'primary_key' names column 'idd', which table 't' does not have",
        "did you mean 'id'?",
    ),
    (
        {"tables/t.yaml": t(ID + "  n: { type: integer, on_delete: cascade }\n")},
        None,
        ("tables/t.yaml", 4, 23),
        "'on_delete' of column 'n' applies only with 'references'",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + "  n: { type: integer, collation: C }\n")},
        None,
        ("tables/t.yaml", 4, 34),
        "type integer has no collation",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + "  tags: { type: tags, nullable: true }\n")},
        None,
        ("tables/t.yaml", 4, 33),
        "a tags column is always NOT NULL (its default is empty)",
        "remove nullable: true",
    ),
    (
        {"tables/t.yaml": t(ID + "  cf: { type: custom_fields, default: \"'{}'\" }\n")},
        None,
        ("tables/t.yaml", 4, 30),
        "'default' does not apply to a custom_fields column: pgevolve fixes its type, default and index",
        None,
    ),
    (
        {
            "tables/t.yaml": t(ID + "  car: { type: jsonb, shape: vehicle, items: vehicle }\n"),
            "shapes/vehicle.yaml": "shape: vehicle\nproperties:\n  vin: { type: string }\n",
        },
        None,
        ("tables/t.yaml", 4, 46),
        "column 'car' has both 'shape' (an object) and 'items' (an array of objects); choose one",
        None,
    ),
    (
        {
            "tables/t.yaml": t(
                ID + "  car: { type: jsonb, shape: vehicle }\n  vin: { type: text, promoted_from: car.vim }\n"
            ),
            "shapes/vehicle.yaml": "shape: vehicle\nproperties:\n  vin: { type: string }\n",
        },
        None,
        ("tables/t.yaml", 5, 37),
        "'promoted_from' of column 'vin': shape 'vehicle' of column 'car' has no property 'vim'",
        "did you mean 'vin'?",
    ),
    (
        {"tables/t.yaml": t(ID + "  tags: { type: tags }\n  vip: { type: text, promoted_from: tags.vip }\n")},
        None,
        ("tables/t.yaml", 5, 37),
        "'promoted_from' of column 'vip': column 'tags' is tags, not a jsonb object (jsonb or custom_fields)",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + "  n: { type: jsonb, promoted_from: n.x }\n")},
        None,
        ("tables/t.yaml", 4, 36),
        "column 'n' cannot be promoted from itself",
        None,
    ),
    (
        {
            "tables/a.yaml": "renamed_from: old\n" + t(ID, name="a"),
            "tables/b.yaml": "renamed_from: old\n" + t(ID, name="b"),
        },
        None,
        ("tables/b.yaml", 1, 15),
        "tables 'a' and 'b' are both renamed from 'old'",
        None,
    ),
    (
        {"tables/t.yaml": t(ID, "indexes:\n  - { columns: [id], include: [emial] }\n"), "tables/users.yaml": USERS},
        None,
        ("tables/t.yaml", 5, 32),
        "item #1 of 'include' of index #1 names column 'emial', which table 't' does not have",
        None,
    ),
    (
        {
            "tables/t.yaml": t(
                ID + "  email: { type: text }\n", "indexes:\n  - { columns: [id], where: \"emal <> ''\" }\n"
            )
        },
        None,
        ("tables/t.yaml", 6, 29),
        "'where' of index #1 (emal <> '') names column 'emal', which table 't' does not have",
        "did you mean 'email'?",
    ),
    (
        {
            "tables/t.yaml": t(ID, "indexes:\n  - { columns: [id], name: shared_idx }\n"),
            "tables/u.yaml": t(ID, "indexes:\n  - { columns: [id], name: shared_idx }\n", name="u"),
        },
        None,
        ("tables/u.yaml", 5, 28),
        "name 'shared_idx' is already used by the index of table 't' (",
        None,
    ),
    (
        {
            "tables/t.yaml": t(
                ID,
                '  - { expression: "id > 0", name: dup }\nforeign_keys:\n'
                "  - { columns: [id], references: { table: t, columns: [id] }, name: dup }\n",
            ).replace("  - { expr", "checks:\n  - { expr")
        },
        None,
        ("tables/t.yaml", 7, 69),
        "table 't' has two constraints named 'dup'",
        None,
    ),
    (
        {
            "tables/t.yaml": t(
                ID + "  n: { type: integer }\n",
                "foreign_keys:\n  - { columns: [id, n], references: { table: t, columns: [id] } }\n",
            )
        },
        None,
        ("tables/t.yaml", 6, 5),
        "foreign key #1 has 2 columns but references 1",
        None,
    ),
    (
        {
            "tables/t.yaml": t(ID + "  n: { type: integer, references: prospects.id }\n"),
            "tables/leads.yaml": "renamed_from: prospects\n" + t(ID, name="leads"),
        },
        None,
        ("tables/t.yaml", 4, 35),
        "'references' of column 'n' names table 'prospects', which is not defined under tables/",
        "table 'prospects' is renamed to 'leads'",
    ),
    (
        {"tables/t.yaml": t(ID + '  n: { type: integer, default: "(select 1)" }\n')},
        None,
        ("tables/t.yaml", 4, 32),
        "'default' of column 'n' must not contain a subquery: PostgreSQL refuses one here",
        None,
    ),
    (
        {"tables/t.yaml": t(ID + '  n: { type: integer, generated: "idd * 2" }\n')},
        None,
        ("tables/t.yaml", 4, 34),
        "'generated' of column 'n' (idd * 2) names column 'idd', which table 't' does not have",
        "did you mean 'id'?",
    ),
    (
        {"tables/t.yaml": t(ID, f'checks:\n  - {{ expression: "id > 0", name: {"c" * 64} }}\n')},
        None,
        ("tables/t.yaml", 5, 35),
        "'name' of check #1: the name is 64 bytes long; PostgreSQL keeps only 63 and would silently cut it",
        None,
    ),
    (
        {"tables/t.yaml": t(ID, "unique:\n  - { columns: [id, nope], name: t_key }\n")},
        None,
        ("tables/t.yaml", 5, 21),
        "item #2 of 'columns' of unique constraint #1 names column 'nope', which table 't' does not have",
        None,
    ),
    (
        {"tables/users.yaml": USERS},
        "schema: pg_app\n",
        ("pgevolve.yaml", 1, 9),
        "schema names starting with 'pg_' are reserved for PostgreSQL",
        None,
    ),
    (
        {"tables/users.yaml": USERS},
        f"schema: {'s' * 64}\n",
        ("pgevolve.yaml", 1, 9),
        "'schema': the name is 64 bytes long",
        None,
    ),
    (
        {"tables/users.yaml": USERS},
        f"schema: public\nenums:\n  e: [ok, {'v' * 64}]\n",
        ("pgevolve.yaml", 3, 11),
        "enum 'e': the value is 64 bytes long; PostgreSQL allows 63",
        None,
    ),
    (
        {"tables/users.yaml": USERS},
        "schema: public\nenums:\n  text: [a]\n",
        ("pgevolve.yaml", 3, 3),
        "enum 'text' has the name of a built-in type",
        None,
    ),
    (
        {"tables/users.yaml": USERS},
        "schema: public\nenums:\n  users: [a]\n",
        ("pgevolve.yaml", 3, 3),
        "enum 'users' has the name of table 'users', whose row type PostgreSQL already calls that",
        None,
    ),
    (
        {
            "shapes/a.yaml": "shape: s\nproperties:\n  x: { type: string }\n",
            "shapes/s.yaml": "shape: s\nproperties:\n  x: { type: string }\n",
        },
        None,
        ("shapes/s.yaml", 1, 8),
        "shape 's' is already defined in ",
        None,
    ),
    (
        {"shapes/s.yaml": "shape: s\nproperties:\n  x: { type: string, minimum: 1 }\n"},
        None,
        ("shapes/s.yaml", 3, 22),
        "'minimum' applies to integer and number properties; property 'x' is string",
        None,
    ),
    (
        {"shapes/s.yaml": "shape: s\nproperties:\n  x: { type: integer, minimum: 5, maximum: 1 }\n"},
        None,
        ("shapes/s.yaml", 3, 44),
        "property 'x': maximum 1 is below minimum 5",
        None,
    ),
    (
        {"shapes/s.yaml": "shape: s\nproperties:\n  x: { type: string, enum: [a, 1] }\n"},
        None,
        ("shapes/s.yaml", 3, 32),
        "property 'x' is string, but its enum lists 1",
        None,
    ),
    (
        {
            "shapes/s.yaml": "shape: s\nproperties:\n  o:\n    type: object\n    properties:\n"
            "      k: { type: string, index: true }\n    required: [kk]\n"
        },
        None,
        ("shapes/s.yaml", 6, 26),
        "property 'o.k': only top-level properties can be indexed",
        None,
    ),
    (
        {"shapes/s.yaml": "shape: s\nproperties:\n  a:\n    type: array\n    items: { type: integer, check: true }\n"},
        None,
        ("shapes/s.yaml", 5, 29),
        "'items' of property 'a': 'check' applies to top-level properties (a nested property is checked with the "
        "property that holds it)",
        None,
    ),
    (
        {
            "shapes/s.yaml": "shape: s\nproperties:\n  o:\n    type: object\n    properties:\n"
            "      k: { type: string }\n    required: [kk]\n"
        },
        None,
        ("shapes/s.yaml", 7, 16),
        "required key 'kk' is not one of the declared properties",
        "did you mean 'k'?",
    ),
]


@pytest.mark.parametrize(("files", "project", "where", "message", "hint"), CASES)
def test_semantic_problem(
    tmp_path: Path,
    files: dict[str, str],
    project: str | None,
    where: tuple[str, int, int],
    message: str,
    hint: str | None,
) -> None:
    problem = only(problems_of(tmp_path, files, project or PROJECT), *where)
    assert message in problem.message
    assert problem.hint == hint


def test_shape_file_named_differently_is_a_warning(tmp_path: Path) -> None:
    files = {"tables/users.yaml": USERS, "shapes/car.yaml": "shape: vehicle\nproperties:\n  x: { type: string }\n"}
    assert problems_of(tmp_path, files) == [
        Problem(
            file="shapes/car.yaml",
            line=1,
            column=8,
            message="the file is named 'car' but defines shape 'vehicle'",
            hint="rename the file to vehicle.yaml",
            severity="warning",
        )
    ]


@pytest.mark.parametrize(
    "files",
    [
        # a composite FK to a composite UNIQUE constraint, in either column order
        {
            "tables/a.yaml": t("  x: { type: integer }\n  y: { type: text }\n", "primary_key: [x, y]\n", name="a"),
            "tables/b.yaml": t(
                ID + "  x: { type: integer }\n  y: { type: varchar(20) }\n",
                "foreign_keys:\n  - { columns: [y, x], references: { table: a, columns: [y, x] } }\n",
                name="b",
            ),
        },
        # a FK to a plain unique index, and serial <-> integer
        {
            "tables/a.yaml": t("  id: { type: serial }\n", "indexes:\n  - { columns: [id], unique: true }\n", name="a"),
            "tables/b.yaml": t(ID + "  a_id: { type: integer, references: a.id, on_delete: set null }\n", name="b"),
        },
        # citext listed as an extension; a jsonb source for promoted_from without a shape
        {
            "tables/t.yaml": t(
                ID + "  email: { type: citext }\n  data: { type: jsonb }\n"
                "  vip: { type: boolean, promoted_from: data.vip }\n"
            ),
        },
    ],
)
def test_valid_combinations(tmp_path: Path, files: dict[str, str]) -> None:
    found = problems_of(tmp_path, files, project="schema: public\nextensions: [citext]\n")
    assert [p for p in found if p.severity == "error"] == []


KEY_OPTION_CASES = [  # issue 11: index keys, key options, table settings
    # (table file, (line, column), message, hint)
    (t(ID + "  a: { type: text }\n", "indexes:\n  - { columns: [a], keys: [a] }\n"), (6, 5),
     "index #1 needs exactly one of 'columns', 'expression' and 'keys'", None),
    (t(ID + "  a: { type: text }\n", "indexes:\n  - keys: [{ column: a, expression: lower(a) }]\n"), (6, 12),
     "item #1 of 'keys' of index #1 needs exactly one of 'column' and 'expression'", None),
    (t(ID + "  org: { type: text }\n", "indexes:\n  - keys: [id, { column: orgg, desc: true }]\n"), (6, 26),
     "names column 'orgg', which table 't' does not have", "did you mean 'org'?"),
    (t(ID + "  org: { type: text }\n", "indexes:\n  - keys: [orgg]\n"), (6, 12),
     "names column 'orgg', which table 't' does not have", "did you mean 'org'?"),
    (t(ID + "  d: { type: jsonb }\n", "indexes:\n  - { keys: [{ column: d, desc: true }], using: gin }\n"),
     (6, 27), "desc needs a btree index, not gin", None),
    (t(ID + "  a: { type: text }\n", "indexes:\n  - { columns: [a], nulls_not_distinct: true }\n"), (6, 21),
     "nulls_not_distinct needs unique: true", None),
    (t("  id: { type: integer }\n", "primary_key: { columns: [id], initially_deferred: true }\n"), (4, 31),
     "initially_deferred needs deferrable: true", "add deferrable: true"),
    (t(ID + "  a: { type: text }\n", "unique:\n  - { columns: [a], include: [b] }\n"), (6, 31),
     "names column 'b', which table 't' does not have", None),
    (t(ID + "  a: { type: text }\n",
       "indexes:\n  - { columns: [a], unique: true }\nreplica_identity: { index: t_b_idx }\n"),
     (7, 28), "replica_identity names index 't_b_idx', which is not a unique index, primary key or UNIQUE constraint "
     "of table 't'", "did you mean 't_a_idx'?"),
    (t(ID, "storage: { fillfator: 70 }\n"), (4, 12), "unknown key 'fillfator' in 'storage'",
     "did you mean 'fillfactor'?"),
    (t(ID, "storage: { fillfactor: 5 }\n"), (4, 24), "'fillfactor' of 'storage' must be at least 10", None),
    (t(ID, "storage: { autovacuum_vacuum_scale_factor: 101 }\n"), (4, 44),
     "'autovacuum_vacuum_scale_factor' of 'storage' must be at most 100", None),
    (t(ID + "  a: { type: text }\n", "indexes:\n  - keys: [{ column: a, opclass: a.b.c }]\n"), (6, 34),
     "must be a name or schema.name", None),
    (t(ID + "  a: { type: text }\n", "indexes:\n  - keys: [{ column: a, nulls: frist }]\n"), (6, 32),
     "must be one of: first, last", "did you mean 'first'?"),
]


@pytest.mark.parametrize(("text", "where", "message", "hint"), KEY_OPTION_CASES)
def test_a_bad_key_option_is_pinned_to_its_place(tmp_path: Path, text: str, where: tuple[int, int], message: str,
                                                 hint: str | None) -> None:
    problem = only(problems_of(tmp_path, {"tables/t.yaml": text}), "tables/t.yaml", *where)
    assert message in problem.message
    assert hint is None or problem.hint == hint


def test_a_foreign_key_to_a_deferrable_key_is_refused(tmp_path: Path) -> None:
    files = {
        "tables/a.yaml": t("  id: { type: integer }\n", "primary_key: { columns: [id], deferrable: true }\n", name="a"),
        "tables/t.yaml": t(ID + "  a_id: { type: integer, references: a.id }\n"),
    }
    problem = only(problems_of(tmp_path, files), "tables/t.yaml", 4, 38)
    assert "a(id) is DEFERRABLE, and PostgreSQL cannot reference it" in problem.message
