"""compile_project with the real JSONB lowering (spec.jsonb): whole tables, lowering included."""

from __future__ import annotations

from pathlib import Path

from pgevolve import model as m
from pgevolve.source import compile_project, jsonb, load_project

VALID = Path(__file__).parent / "spec_fixtures" / "valid"
VEHICLE = "shape: vehicle\nproperties:\n  vin: { type: string, index: unique }\n  year: { type: integer }\n"
INSURED = "shape: insured\nenforce: strict\nproperties:\n  name: { type: string }\nrequired: [name]\n"
TABLE = """\
table: t
columns:
  id:     { type: integer, primary_key: true }
  car:    { type: jsonb, shape: vehicle, description: The car. }
  others: { type: jsonb, items: insured }
  cf:     { type: custom_fields }
  tags:   { type: tags }
  meta:   { type: jsonb }
"""


def test_a_table_with_every_kind_of_jsonb_column(tmp_path: Path) -> None:
    for relative, text in {
        "pgevolve.yaml": "schema: public\n",
        "tables/t.yaml": TABLE,
        "shapes/vehicle.yaml": VEHICLE,
        "shapes/insured.yaml": INSURED,
    }.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    project = load_project(tmp_path)
    spec = project.table("t")
    assert spec is not None

    def lowered(column: str):  # type: ignore[no-untyped-def]
        raw = spec.column(column).raw  # type: ignore[union-attr]
        return jsonb.lower_jsonb_column("t", column, raw, project.shapes)

    car, others, cf, tags = (lowered(c) for c in ("car", "others", "cf", "tags"))
    assert compile_project(project)[0].table("t") == m.Table(
        name="t",
        columns=(
            m.Column(name="id", type="integer", nullable=False),
            m.Column(name="car", type="jsonb", comment="The car."),
            m.Column(name="others", type="jsonb"),
            m.Column(name="cf", type="jsonb", nullable=False, default="'{}'::jsonb"),
            m.Column(name="tags", type="jsonb", nullable=False, default="'[]'::jsonb"),
            m.Column(name="meta", type="jsonb"),
        ),
        primary_key=m.PrimaryKey(name="t_pkey", columns=("id",)),
        checks=m.sort_by_name((*car.checks, *others.checks, *cf.checks, *tags.checks)),
        indexes=m.sort_by_name((*car.indexes, *others.indexes, *cf.indexes, *tags.indexes)),
    )
    assert [c.name for c in (*car.checks, *others.checks, *cf.checks, *tags.checks)] == [
        "t_car_shape",  # the value is an object
        "t_car_vin_shape",  # enforce: types checks the indexed properties (not year)
        "t_others_shape",  # an array of objects, with no undeclared key (strict)
        "t_others_name_shape",
        "t_cf_check",
        "t_tags_check",
    ]


def test_whole_project_compiles_and_names_are_unique_per_schema() -> None:
    db, _ = compile_project(load_project(VALID))
    relations = [t.name for t in db.tables]
    constraints: list[str] = []
    for table in db.tables:
        relations += [i.name for i in table.indexes]
        relations += [k.name for k in (table.primary_key, *table.uniques) if k is not None]
        constraints += [c.name for c in (*table.checks, *table.foreign_keys)]
    assert len(relations) == len(set(relations))
    assert len(constraints) == len(set(constraints))


def test_lowered_names_taken_by_the_yaml_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "pgevolve.yaml").write_text("schema: public\n")
    (tmp_path / "tables" / "t.yaml").write_text(
        "table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
        '  tags: { type: tags, check: "jsonb_array_length(tags) < 20" }\n'
        "indexes:\n  - { columns: [tags], using: gin, opclass: jsonb_path_ops }\n"
    )
    table = compile_project(load_project(tmp_path))[0].table("t")
    assert table is not None
    assert [(c.name, c.expression.startswith("jsonb_array_length")) for c in table.checks] == [
        ("t_tags_check", True),
        ("t_tags_check1", False),
    ]
    assert [(i.name, i.keys[0].opclass) for i in table.indexes] == [
        ("t_tags_idx", "jsonb_path_ops"),
        ("t_tags_idx1", None),
    ]
