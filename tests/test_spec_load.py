"""spec.load_project and the format's JSON Schema, on a valid project with every feature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from pgevolve.errors import Problem, SpecError
from pgevolve.source import ColumnSpec, EnumSpec, ForeignKeySpec, IndexSpec, KeySpec, format_json_schema, load_project

VALID = Path(__file__).parent / "spec_fixtures" / "valid"


def test_project_settings() -> None:
    project = load_project(VALID)
    assert (project.schema, project.extensions, project.root, project.warnings) == (
        "public",
        ("uuid-ossp", "citext"),
        VALID,
        (),
    )
    assert project.enums == {
        "contact_method": EnumSpec(
            name="contact_method", values=("email", "phone", "sms"), path=("enums", "contact_method")
        ),
        "policy_status": EnumSpec(
            name="policy_status",
            values=("quoted", "active", "lapsed"),
            description="Where a policy is in its life.",
            path=("enums", "policy_status"),
        ),
    }
    assert [t.name for t in project.tables] == ["agents", "leads", "policies"]


def test_shapes_are_plain_data() -> None:
    shapes = load_project(VALID).shapes
    assert sorted(shapes) == ["insured", "vehicle"]
    assert shapes["insured"] == {
        "shape": "insured",
        "enforce": "strict",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "relationship": {"type": "string", "enum": ["spouse", "child", "other"]},
        },
        "required": ["name"],
    }


def test_table_spec_keeps_columns_in_order_with_their_yaml() -> None:
    leads = load_project(VALID).table("leads")
    assert leads is not None
    assert leads.column_names[:3] == ("id", "full_name", "email")
    assert leads.renamed_from == "prospects"
    assert leads.column("agent_id") == ColumnSpec(
        name="agent_id",
        type="integer",
        references="agents.id",
        on_delete="set null",
        raw={"type": "integer", "references": "agents.id", "on_delete": "set null"},
        path=("columns", "agent_id"),
    )
    assert leads.column("custom_fields") == ColumnSpec(
        name="custom_fields", type="custom_fields", raw={"type": "custom_fields"}, path=("columns", "custom_fields")
    )
    assert leads.uniques == (KeySpec(columns=("full_name", "email"), path=("unique", 0)),)
    assert leads.indexes[2] == IndexSpec(
        columns=("tags",),
        using="gin",
        opclass="jsonb_path_ops",
        name="leads_tags_path_idx",
        description="Tag filter.",
        path=("indexes", 2),
    )
    assert leads.doc.file == str(VALID / "tables" / "leads.yaml")
    assert leads.doc.value_mark(("columns", "score", "check")).line == 12


def test_table_level_forms() -> None:
    policies = load_project(VALID).table("policies")
    assert policies is not None
    assert policies.primary_key == KeySpec(columns=("lead_id", "number"), path=("primary_key",))
    assert policies.foreign_keys == (
        ForeignKeySpec(
            columns=("lead_id",),
            ref_table="leads",
            ref_columns=("id",),
            on_delete="cascade",
            name="policies_lead_fk",
            path=("foreign_keys", 0),
        ),
    )


def test_every_problem_is_raised_together_and_warnings_kept_apart(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(VALID, schema)
    (schema / "tables" / "agents.yaml").write_text("table: agents\ncolumns:\n  id: { type: intger, unique: true }\n")
    (schema / "shapes" / "vehicle.yaml").write_text(
        "shape: vehicle\nenforce: strct\nproperties:\n  vin: { type: string }\n"
    )
    with pytest.raises(SpecError) as info:
        load_project(schema)
    agents, vehicle = str(schema / "tables" / "agents.yaml"), str(schema / "shapes" / "vehicle.yaml")
    assert info.value.problems == [
        Problem(
            file=vehicle,
            line=2,
            column=10,
            message="'enforce' must be one of: none, types, strict",
            value="strct",
            hint="did you mean 'strict'?",
        ),
        Problem(
            file=agents,
            line=3,
            column=15,
            message="'type' of column 'id': unknown type 'intger'",
            value="intger",
            hint="did you mean 'integer'?",
        ),
    ]
    assert info.value.warnings == [
        Problem(
            file=agents,
            line=1,
            column=8,
            message="table 'agents' has no primary key",
            hint="add primary_key: true to a column; updates, replication and many tools need one",
            severity="warning",
        )
    ]


def test_no_follow_up_errors_about_a_table_whose_file_is_broken(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(VALID, schema)
    (schema / "tables" / "agents.yaml").write_text("table: agents\ncolumns: [id]\n")
    with pytest.raises(SpecError) as info:
        load_project(schema)
    assert [p.message for p in info.value.problems] == ["'columns' must be a mapping, not a list"]


def test_the_format_schema_is_a_valid_2020_12_schema() -> None:
    schema = format_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["$defs"]) >= {"projectFile", "tableFile", "shapeFile", "column", "index", "shapeProperty"}


def test_the_shipped_file_is_the_schema() -> None:
    shipped = Path(__file__).parent.parent / "src" / "pgevolve" / "source" / "format.schema.json"
    assert json.loads(shipped.read_text()) == format_json_schema()


@pytest.mark.parametrize("relative", sorted(str(p.relative_to(VALID)) for p in VALID.rglob("*.yaml")))
def test_editors_validate_every_kind_of_file_with_the_one_schema(relative: str) -> None:
    data = yaml.safe_load((VALID / relative).read_text())
    assert list(Draft202012Validator(format_json_schema()).iter_errors(data)) == []


@pytest.mark.parametrize(
    "data",
    [
        {"table": "t", "columns": {"id": {"type": "int", "nulable": True}}},
        {"shape": "s", "properties": {"a": {"type": "strng"}}},
        {"schema": "public", "extensions": "uuid-ossp"},
        {"columns": {}},
    ],
)
def test_editors_see_bad_files_as_bad(data: dict) -> None:
    assert not Draft202012Validator(format_json_schema()).is_valid(data)


def test_missing_directories_are_fine(tmp_path: Path) -> None:
    (tmp_path / "pgevolve.yaml").write_text("schema: app\n")
    project = load_project(tmp_path)
    assert (project.schema, project.tables, project.shapes) == ("app", (), {})


def test_yml_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "pgevolve.yaml").write_text("schema: app\n")
    (tmp_path / "tables" / "a.yml").write_text("table: a\ncolumns:\n  id: { type: int, primary_key: true }\n")
    (tmp_path / "tables" / ".#a.yaml").write_text("garbage: [")
    (tmp_path / "tables" / "README.md").write_text("# tables\n")
    assert [t.name for t in load_project(tmp_path).tables] == ["a"]


def test_an_empty_name_is_an_error_at_its_key(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "pgevolve.yaml").write_text("schema: app\n")
    (tmp_path / "tables" / "t.yaml").write_text(
        'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n  "": { type: int }\n'
    )
    with pytest.raises(SpecError) as info:
        load_project(tmp_path)
    assert [(p.line, p.column, p.message) for p in info.value.problems] == [(4, 3, "a name in 'columns' is empty")]
