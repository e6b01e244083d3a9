"""`pgevolve validate` on bad input: exit 1, every problem at file:line:column, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pgevolve.cli import app
from pgevolve.source.naming import safe_file_stem

PROJECT = "schema: public\n"
USERS = """\
table: users
columns:
  id:    { type: integer, primary_key: true }
  email: { type: text, nullable: false }
"""
VEHICLE = """\
shape: vehicle
properties:
  vin:  { type: string }
  year: { type: integer }
required: [vin]
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    schema: Path

    def at(self, relative: str, line: int, column: int, severity: str = "error") -> str:
        """The one stderr line that starts with file:line:column; fails the test when there is none."""
        prefix = f"{self.schema / relative}:{line}:{column}: {severity}: "
        found = [text for text in self.stderr.splitlines() if text.startswith(prefix)]
        assert found, f"no line starts with {prefix!r} in:\n{self.stderr}"
        return found[0]


def validate(tmp_path: Path, files: dict[str, str | bytes], project: str | None = PROJECT) -> Run:
    """Write a schema dir (pgevolve.yaml plus ``files``) and run `pgevolve validate` on it."""
    schema = tmp_path / "schema"
    schema.mkdir()
    if project is not None:
        (schema / "pgevolve.yaml").write_text(project)
    for relative, text in files.items():
        path = schema / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return run_validate(schema)


def run_validate(schema: Path) -> Run:
    result = CliRunner().invoke(app, ["validate", "--schema-dir", str(schema)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Run(code=result.exit_code, stdout=result.stdout, stderr=result.stderr, schema=schema)


def table(columns: str, extra: str = "", name: str = "t") -> str:
    """A table file: line 1 `table:`, line 2 `columns:`, the column lines from line 3."""
    return f"table: {name}\ncolumns:\n{columns}{extra}"


def failed(run: Run, relative: str, line: int, column: int, *parts: str) -> str:
    """Assert exit 1 and an error at file:line:column whose text holds every part."""
    assert run.code == 1, run.stderr
    text = run.at(relative, line, column)
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"
    return text


# --- YAML itself -------------------------------------------------------------------------


def test_broken_yaml_syntax(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table("  id: { type: integer, primary_key: true\n")})
    failed(run, "tables/t.yaml", 4, 1, "invalid YAML", "expected ',' or '}'", "started at line 3")


def test_tab_indentation(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": "table: t\ncolumns:\n\tid: { type: integer }\n"})
    failed(run, "tables/t.yaml", 3, 1, "a tab character", "indented with spaces")


def test_duplicate_column_is_a_duplicate_yaml_key(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  email: { type: text }\n  email: { type: citext }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 5, 3, "duplicate key 'email' (first defined at line 4)")


def test_empty_table_file(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": "# nothing yet\n"})
    failed(run, "tables/t.yaml", 1, 1, "the file is empty")


def test_a_list_instead_of_a_mapping(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": "- table: t\n"})
    failed(run, "tables/t.yaml", 1, 1, "expected a mapping", "got a list")


def test_not_utf8(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": b"table: t\ncolumns:\n  caf\xe9: { type: text }\n"})
    failed(run, "tables/t.yaml", 3, 6, "not valid UTF-8", "0xe9")


def test_missing_project_file(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/users.yaml": USERS}, project=None)
    assert run.code == 1
    assert f"{run.schema / 'pgevolve.yaml'}: error: the project file is missing; create it" in run.stderr


def test_missing_schema_dir(tmp_path: Path) -> None:
    run = run_validate(tmp_path / "nowhere")
    assert run.code == 1
    assert f"{tmp_path / 'nowhere'}: error: the schema directory does not exist" in run.stderr


# --- the JSON Schema -----------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": "table: t\ncolums:\n  id: { type: integer, primary_key: true }\n"})
    failed(run, "tables/t.yaml", 2, 1, "unknown key 'colums'", "did you mean 'columns'?")
    failed(run, "tables/t.yaml", 1, 1, "missing the required key 'columns'")


def test_unknown_column_key_with_did_you_mean(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table("  id: { type: integer, primary_key: true, nulable: false }\n")})
    failed(run, "tables/t.yaml", 3, 43, "unknown key 'nulable' in column 'id'", "did you mean 'nullable'?")


def test_wrong_type_of_value(tmp_path: Path) -> None:
    columns = '  id: { type: integer, primary_key: true }\n  email: { type: text, nullable: "yes please" }\n'
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(
        run,
        "tables/t.yaml",
        4,
        34,
        "'nullable' of column 'email' must be true or false",
        "(got 'yes please')",
        "write true or false",
    )


def test_missing_type(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table("  id: { primary_key: true }\n")})
    failed(run, "tables/t.yaml", 3, 3, "column 'id' is missing the required key 'type'")


def test_bad_on_delete_value_with_did_you_mean(tmp_path: Path) -> None:
    columns = (
        "  id: { type: integer, primary_key: true }\n  boss: { type: integer, references: t.id, on_delete: cascde }\n"
    )
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(
        run,
        "tables/t.yaml",
        4,
        55,
        "'on_delete' of column 'boss' must be one of: no action, restrict, cascade",
        "(got 'cascde')",
        "did you mean 'cascade'?",
    )


def test_yes_in_an_enum_list_is_a_boolean(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  ok: { type: text, enum: [yes, no] }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(
        run,
        "tables/t.yaml",
        4,
        28,
        "item #1 of 'enum' of column 'ok' must be a string",
        "(got True)",
        "put the text in quotes",
    )


def test_comma_in_an_unquoted_description(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true, description: Our key (ours, not theirs). }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 3, 71, "unknown key 'not theirs).'", "a comma ends the value")


def test_bad_extension_name(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/users.yaml": USERS}, project='schema: public\nextensions: ["x; drop"]\n')
    failed(run, "pgevolve.yaml", 2, 14, "extension #1 is not an extension name", "(got 'x; drop')")


# --- columns ----------------------------------------------------------------------------


def test_unknown_column_type_with_did_you_mean(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table("  id: { type: intger, primary_key: true }\n")})
    failed(run, "tables/t.yaml", 3, 15, "unknown type 'intger'", "did you mean 'integer'?")


def test_unknown_type_suggests_a_project_enum(tmp_path: Path) -> None:
    project = "schema: public\nenums:\n  contact_method: [email, phone]\n"
    columns = "  id: { type: integer, primary_key: true }\n  how: { type: contact_metod }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)}, project=project)
    failed(run, "tables/t.yaml", 4, 16, "unknown type 'contact_metod'", "did you mean 'contact_method'?")


def test_extension_type_without_its_extension(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  email: { type: citext }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 18, "comes from the extension 'citext'", "extensions: [citext]")


def test_enum_on_an_integer_column(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  level: { type: integer, enum: [low, high] }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 33, "'enum' of column 'level' lists text values, but the column is integer")


def test_shape_on_a_non_jsonb_column(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  car: { type: text, shape: vehicle }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns), "shapes/vehicle.yaml": VEHICLE})
    failed(run, "tables/t.yaml", 4, 29, "'shape' applies to jsonb columns only", "write type: jsonb")


def test_unknown_shape_with_did_you_mean(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  car: { type: jsonb, shape: vehicel }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns), "shapes/vehicle.yaml": VEHICLE})
    failed(run, "tables/t.yaml", 4, 30, "unknown shape 'vehicel'", "did you mean 'vehicle'?")


def test_injected_default(tmp_path: Path) -> None:
    columns = (
        '  id: { type: integer, primary_key: true }\n  at: { type: timestamptz, default: "now()); drop table x; --" }\n'
    )
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(
        run,
        "tables/t.yaml",
        4,
        37,
        "'default' of column 'at' closes a parenthesis it did not open",
        "(got 'now()); drop table x; --')",
    )


def test_default_with_a_comment_trick(tmp_path: Path) -> None:
    columns = '  id: { type: integer, primary_key: true }\n  n: { type: integer, default: "1 -- x" }\n'
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 32, "'default' of column 'n' must not contain an SQL comment")


def test_injected_check(tmp_path: Path) -> None:
    columns = '  id: { type: integer, primary_key: true }\n  n: { type: integer, check: "n > 0; drop table t" }\n'
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 30, "'check' of column 'n' must be one SQL expression, not several statements")


def test_empty_default_expression(tmp_path: Path) -> None:
    columns = '  id: { type: integer, primary_key: true }\n  n: { type: integer, default: "  " }\n'
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 32, "'default' of column 'n' is empty")


def test_default_that_names_a_column_hints_at_quoting(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  status: { type: text, default: new }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 34, "a default cannot use columns", "quote it in SQL: \"'new'\"")


def test_check_naming_an_unknown_column(tmp_path: Path) -> None:
    columns = '  id: { type: integer, primary_key: true }\n  score: { type: integer, check: "scroe > 0" }\n'
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 34, "names column 'scroe', which table 't' does not have", "did you mean 'score'?")


def test_table_name_too_long(tmp_path: Path) -> None:
    name = "t" * 64
    run = validate(tmp_path, {f"tables/{name}.yaml": table("  id: { type: integer, primary_key: true }\n", name=name)})
    failed(run, f"tables/{name}.yaml", 1, 8, "the name is 64 bytes long", "would silently cut it")


def test_column_name_too_long(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table(f"  {'é' * 32}: {{ type: integer, primary_key: true }}\n")})
    failed(run, "tables/t.yaml", 3, 3, "the name is 64 bytes long")


def test_promoted_from_a_missing_column(tmp_path: Path) -> None:
    columns = (
        "  id: { type: integer, primary_key: true }\n"
        "  custom_fields: { type: custom_fields }\n"
        "  referral: { type: text, promoted_from: custom_feilds.referral_source }\n"
    )
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 5, 42, "names column 'custom_feilds'", "did you mean 'custom_fields'?")


def test_promoted_from_a_column_that_is_not_json(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  n: { type: text, promoted_from: id.x }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 35, "column 'id' is integer, not a jsonb object")


# --- references ---------------------------------------------------------------------------


def test_dangling_reference_table(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  owner: { type: integer, references: usres.id }\n"
    run = validate(tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 39, "names table 'usres', which is not defined", "did you mean 'users'?")


def test_dangling_reference_column(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  owner: { type: integer, references: users.idd }\n"
    run = validate(tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 39, "names column 'idd', which table 'users' does not have", "did you mean 'id'?")


def test_foreign_key_type_mismatch(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  owner: { type: uuid, references: users.id }\n"
    run = validate(tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns)})
    failed(run, "tables/t.yaml", 4, 36, "column 'owner' is uuid but users.id is integer", "write type: integer")


def test_foreign_key_to_a_column_that_is_not_unique(tmp_path: Path) -> None:
    columns = "  id: { type: integer, primary_key: true }\n  owner: { type: text, references: users.email }\n"
    run = validate(tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns)})
    failed(
        run,
        "tables/t.yaml",
        4,
        36,
        "users(email) is neither a primary key nor unique",
        "add unique: true to column 'email' of table 'users'",
    )


def test_set_null_on_a_not_null_column_is_a_warning(tmp_path: Path) -> None:
    """PostgreSQL accepts the definition (real schemas have it, so import writes it); the delete fails later."""
    columns = (
        "  id: { type: integer, primary_key: true }\n"
        "  owner: { type: integer, nullable: false, references: users.id, on_delete: set null }\n"
    )
    run = validate(tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns)})
    assert run.code == 0
    assert "on_delete: set null on column 'owner', which is NOT NULL" in run.at("tables/t.yaml", 4, 77,
                                                                               severity="warning")


def test_renamed_from_a_table_that_still_exists(tmp_path: Path) -> None:
    files = {
        "tables/users.yaml": USERS,
        "tables/t.yaml": "renamed_from: users\n" + table("  id: { type: integer, primary_key: true }\n"),
    }
    run = validate(tmp_path, files)
    failed(run, "tables/t.yaml", 1, 15, "renamed from 'users', but table 'users' is still defined")


def test_duplicate_table_across_files(tmp_path: Path) -> None:
    files = {"tables/users.yaml": USERS, "tables/people.yaml": USERS}
    run = validate(tmp_path, files)
    failed(run, "tables/users.yaml", 1, 8, f"table 'users' is already defined in {run.schema / 'tables/people.yaml'}:1")


# --- indexes ------------------------------------------------------------------------------

INDEXED = "  id: { type: integer, primary_key: true }\n  email: { type: text }\nindexes:\n"


def test_bad_index_column_with_did_you_mean(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table(INDEXED, "  - columns: [emial]\n")})
    failed(run, "tables/t.yaml", 6, 15, "names column 'emial'", "did you mean 'email'?")


def test_index_with_both_columns_and_expression(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table(INDEXED, "  - columns: [email]\n    expression: lower(email)\n")})
    failed(run, "tables/t.yaml", 6, 5, "index #1 needs exactly one of 'columns', 'expression' and 'keys'")


def test_injected_index_where(tmp_path: Path) -> None:
    extra = '  - columns: [email]\n    where: "true; drop table t"\n'
    run = validate(tmp_path, {"tables/t.yaml": table(INDEXED, extra)})
    failed(run, "tables/t.yaml", 7, 12, "'where' of index #1 must be one SQL expression, not several statements")


def test_injected_index_expression(tmp_path: Path) -> None:
    extra = '  - expression: "lower(email)) --"\n'
    run = validate(tmp_path, {"tables/t.yaml": table(INDEXED, extra)})
    failed(run, "tables/t.yaml", 6, 17, "'expression' of index #1 closes a parenthesis it did not open")


def test_index_name_too_long(tmp_path: Path) -> None:
    extra = f"  - columns: [email]\n    name: {'i' * 70}\n"
    run = validate(tmp_path, {"tables/t.yaml": table(INDEXED, extra)})
    failed(run, "tables/t.yaml", 7, 11, "the name is 70 bytes long")


# --- shapes ---------------------------------------------------------------------------------


def test_shape_required_key_not_declared(tmp_path: Path) -> None:
    shape = "shape: vehicle\nproperties:\n  vin: { type: string }\nrequired: [vim]\n"
    run = validate(tmp_path, {"shapes/vehicle.yaml": shape})
    failed(
        run,
        "shapes/vehicle.yaml",
        4,
        12,
        "required key 'vim' is not one of the declared properties",
        "did you mean 'vin'?",
    )


def test_shape_property_with_unknown_json_type(tmp_path: Path) -> None:
    shape = "shape: vehicle\nproperties:\n  vin: { type: strng }\n"
    run = validate(tmp_path, {"shapes/vehicle.yaml": shape})
    failed(
        run,
        "shapes/vehicle.yaml",
        3,
        16,
        "'type' of property 'vin' must be one of: string, integer",
        "did you mean 'string'?",
    )


def test_bad_enforce_value(tmp_path: Path) -> None:
    shape = "shape: vehicle\nenforce: strct\nproperties:\n  vin: { type: string }\n"
    run = validate(tmp_path, {"shapes/vehicle.yaml": shape})
    failed(run, "shapes/vehicle.yaml", 2, 10, "'enforce' must be one of: none, types, strict", "did you mean 'strict'?")


# --- several at once, and the good cases -------------------------------------------------


def test_several_errors_in_one_run_are_all_reported(tmp_path: Path) -> None:
    columns = (
        "  id: { type: intger, primary_key: true }\n"
        "  email: { type: text, nulable: false }\n"
        "  owner: { type: integer, references: nobody.id }\n"
    )
    shape = "shape: vehicle\nenforce: strct\nproperties:\n  vin: { type: string }\n"
    run = validate(tmp_path, {"tables/t.yaml": table(columns), "shapes/vehicle.yaml": shape})
    failed(run, "tables/t.yaml", 4, 24, "unknown key 'nulable'")
    failed(run, "shapes/vehicle.yaml", 2, 10, "'enforce'")
    # an unknown key does not hide the semantic checks of the rest of its file
    failed(run, "tables/t.yaml", 3, 15, "unknown type 'intger'", "did you mean 'integer'?")
    failed(run, "tables/t.yaml", 5, 39, "names table 'nobody'")
    assert run.stderr.endswith("4 errors found\n")


def test_semantic_errors_of_several_files_are_all_reported(tmp_path: Path) -> None:
    columns = (
        "  id: { type: intger, primary_key: true }\n"
        "  owner: { type: integer, references: nobody.id }\n"
        "  level: { type: integer, enum: [a] }\n"
    )
    run = validate(tmp_path, {"tables/t.yaml": table(columns), "tables/users.yaml": USERS.replace("integer", "intgr")})
    failed(run, "tables/t.yaml", 3, 15, "unknown type 'intger'")
    failed(run, "tables/t.yaml", 4, 39, "names table 'nobody'")
    failed(run, "tables/t.yaml", 5, 33, "'enum' of column 'level'")
    failed(run, "tables/users.yaml", 3, 18, "unknown type 'intgr'")
    assert "4 errors found" in run.stderr


def test_a_valid_schema_exits_0(tmp_path: Path) -> None:
    columns = (
        "  id: { type: integer, primary_key: true }\n"
        "  owner: { type: integer, references: users.id, on_delete: set null }\n"
        "  car: { type: jsonb, shape: vehicle }\n"
        '  created_at: { type: timestamptz, nullable: false, default: "now()" }\n'
    )
    run = validate(
        tmp_path, {"tables/users.yaml": USERS, "tables/t.yaml": table(columns), "shapes/vehicle.yaml": VEHICLE}
    )
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout == f"{run.schema}: valid (2 tables, 1 shapes)\n"


def test_a_table_without_primary_key_is_a_warning(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/t.yaml": table("  id: { type: integer }\n")})
    assert run.code == 0
    assert run.at("tables/t.yaml", 1, 8, severity="warning").endswith(
        "table 't' has no primary key; add primary_key: true to a column; updates, replication and many tools need one"
    )


def test_a_misspelled_extension_is_a_warning(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/users.yaml": USERS}, project="schema: public\nextensions: [uuid_ossp]\n")
    assert run.code == 0
    assert "did you mean 'uuid-ossp'?" in run.at("pgevolve.yaml", 2, 14, severity="warning")


@pytest.mark.parametrize("name", ["people.yaml"])
def test_file_name_differing_from_the_table_is_a_warning(tmp_path: Path, name: str) -> None:
    run = validate(tmp_path, {f"tables/{name}": USERS})
    assert run.code == 0
    assert "rename the file to users.yaml" in run.at(f"tables/{name}", 1, 8, severity="warning")


@pytest.mark.parametrize("table", ["Agency Accounts", "users"])
def test_the_file_name_import_gives_a_table_is_no_warning(tmp_path: Path, table: str) -> None:
    """A name unsafe as a file name (or taken but for case) gets the safe spelling and a hash: still the table's."""
    text = USERS.replace("table: users", f"table: {table}")
    run = validate(tmp_path, {f"tables/{safe_file_stem(table, taken=True)}.yaml": text})
    assert (run.code, "warning" in run.stderr) == (0, False), run.stderr


def test_a_misnamed_file_of_an_unsafe_table_name_is_told_the_safe_name(tmp_path: Path) -> None:
    run = validate(tmp_path, {"tables/accounts.yaml": USERS.replace("table: users", "table: Agency Accounts")})
    assert "rename the file to Agency_Accounts-b4e61ccc.yaml" in run.at("tables/accounts.yaml", 1, 8,
                                                                         severity="warning")
