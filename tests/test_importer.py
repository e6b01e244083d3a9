"""pgevolve import: model -> YAML project files (and, through the spec compiler, back)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import ruamel.yaml
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pgevolve import model as m
from pgevolve.importer import ImportResult, render_project, table_file_names, write_project
from pgevolve.importer.emit import document, scalar
from pgevolve.source import compile_project, load_project

SMALL = m.Database(
    extensions=(m.Extension(name="uuid-ossp"),),
    enums=(m.EnumType(name="contact_method", values=("email", "phone")),),
    tables=(
        m.Table(
            name="lead_statuses",
            columns=(m.Column(name="id", type="serial", nullable=False), m.Column(name="name", type="text")),
            primary_key=m.PrimaryKey(name="lead_statuses_pkey", columns=("id",)),
        ),
        m.Table(
            name="leads",
            comment="People who may become clients.",
            columns=(
                m.Column(name="id", type="uuid", nullable=False, default="uuid_generate_v4()"),
                m.Column(name="email", type="character varying(320)", nullable=False),
                m.Column(name="status_id", type="integer"),
                m.Column(name="custom_fields", type="jsonb", nullable=False, default="'{}'::jsonb"),
                m.Column(name="created_at", type="timestamp with time zone", default="now()"),
            ),
            primary_key=m.PrimaryKey(name="leads_pkey", columns=("id",)),
            uniques=(m.UniqueConstraint(name="leads_email_key", columns=("email",)),),
            checks=(m.CheckConstraint(name="leads_status_id_check", expression="(status_id > 0)"),),
            foreign_keys=(
                m.ForeignKey(
                    name="leads_status_id_fkey",
                    columns=("status_id",),
                    ref_table="lead_statuses",
                    ref_columns=("id",),
                    on_delete="RESTRICT",
                ),
            ),
            indexes=(
                m.Index(
                    name="leads_custom_fields_idx",
                    keys=(m.IndexKey(column="custom_fields", opclass="jsonb_path_ops"),),
                    method="gin",
                ),
                m.Index(
                    name="leads_expr_idx",
                    keys=(m.IndexKey(expression="(custom_fields ->> 'vin'::text)"),),
                    unique=True,
                    where="(custom_fields ? 'vin'::text)",
                ),
            ),
        ),
    ),
)

SMALL_PROJECT = """\
# Imported by pgevolve from schema "public"
# yaml-language-server: $schema=../generated/pgevolve.schema.json
schema: public
extensions: [uuid-ossp]
enums:
  contact_method: [email, phone]
"""

SMALL_LEADS = """\
# Imported by pgevolve from schema "public"
# yaml-language-server: $schema=../../generated/pgevolve.schema.json
table: leads
description: People who may become clients.
columns:
  id:            { type: uuid, primary_key: true, default: uuid_generate_v4() }
  email:         { type: "character varying(320)", nullable: false, unique: true }
  status_id:     { type: integer, references: lead_statuses.id, on_delete: restrict }
  custom_fields: { type: jsonb, nullable: false, default: "'{}'::jsonb" }
  created_at:    { type: "timestamp with time zone", default: now() }
checks:
  - { name: leads_status_id_check, expression: "(status_id > 0)" }
indexes:
  - { columns: [custom_fields], using: gin, opclass: jsonb_path_ops }
  - { expression: "(custom_fields ->> 'vin'::text)", unique: true, where: "(custom_fields ? 'vin'::text)" }
"""

SMALL_STATUSES = """\
# Imported by pgevolve from schema "public"
# yaml-language-server: $schema=../../generated/pgevolve.schema.json
table: lead_statuses
columns:
  id:   { type: serial, primary_key: true }
  name: { type: text }
"""


def test_small_model_renders_exactly() -> None:
    assert render_project(SMALL) == ImportResult(
        files={
            "pgevolve.yaml": SMALL_PROJECT,
            "tables/lead_statuses.yaml": SMALL_STATUSES,
            "tables/leads.yaml": SMALL_LEADS,
        },
        skipped=(),
    )


def _fk(name: str, columns: tuple[str, ...], ref: str, ref_columns: tuple[str, ...], **kw: object) -> m.ForeignKey:
    return m.ForeignKey(name=name, columns=columns, ref_table=ref, ref_columns=ref_columns, **kw)  # type: ignore[arg-type]


COMMENT = 'She said "it\'s fine"\nsecond line: ünïcødé ✓ # not a comment'

RICH = m.Database(
    extensions=(m.Extension(name="pg_trgm"), m.Extension(name="uuid-ossp")),
    enums=(
        m.EnumType(name="contact_method", values=("email", "phone", "sms")),
        m.EnumType(name="policy_status", values=("quoted", "active", "lapsed: yes"), comment=COMMENT),
    ),
    tables=(
        m.Table(
            name="Order",
            comment="Mixed-case table name.",
            columns=(
                m.Column(name="client_id", type="integer", nullable=False),
                m.Column(name="select", type="integer", nullable=False),
                m.Column(name="my col", type="text", collation="C", comment=COMMENT),
                m.Column(name="total", type="numeric(12,2)", nullable=False, default="0"),
                m.Column(name="double_total", type="numeric", generated="(total * (2)::numeric)"),
                m.Column(name="status", type="policy_status", default="'quoted'::policy_status"),
                m.Column(name="tags", type="text[]", nullable=False, default="'{}'::text[]"),
                m.Column(name="yes", type="boolean", default="true"),
            ),
            primary_key=m.PrimaryKey(name="Order_pkey", columns=("client_id", "select")),
            checks=(
                m.CheckConstraint(name="Order_total_check", expression="(total >= (0)::numeric)"),
                m.CheckConstraint(name="positive select", expression="(\"select\" > 0)"),
            ),
            foreign_keys=(
                _fk("Order_client_id_fkey", ("client_id",), "clients", ("id",), on_delete="CASCADE",
                    deferrable=True, initially_deferred=True),
            ),
            indexes=(
                m.Index(name="Order_my col_idx", keys=(m.IndexKey(column="my col"),), method="hash"),
                m.Index(name="Order_total_status_idx", keys=(m.IndexKey(column="total"),), include=("status",)),
                m.Index(name="order_by_total", keys=(m.IndexKey(column="total"),), include=("status",),
                        comment="Totals, covering status."),
                m.Index(name="order_tags_trgm", keys=(m.IndexKey(column="tags"),), method="gin"),
            ),
        ),
        m.Table(
            name="clients",
            comment=COMMENT,
            columns=(
                m.Column(name="id", type="serial", nullable=False),
                m.Column(name="code", type="bigint", nullable=False, identity="ALWAYS"),
                m.Column(name="seq", type="integer", nullable=False, identity="BY DEFAULT"),
                m.Column(name="email", type="character varying(320)"),
                m.Column(name="name", type="text", nullable=False),
                m.Column(name="region", type="text"),
                m.Column(name="referrer_id", type="integer"),
                m.Column(name="backup_id", type="integer"),
                m.Column(name="agent_id", type="integer"),
                m.Column(name="manager_id", type="integer"),
                m.Column(name="preferred", type="contact_method"),
                m.Column(name="data", type="jsonb", nullable=False, default="'{}'::jsonb"),
                m.Column(name="created_at", type="timestamp with time zone", nullable=False, default="now()"),
            ),
            primary_key=m.PrimaryKey(name="clients_pkey", columns=("id",)),
            uniques=(
                m.UniqueConstraint(name="clients_code_key", columns=("code",)),
                m.UniqueConstraint(name="clients_email_key", columns=("email",)),
                m.UniqueConstraint(name="clients_name_region_key", columns=("name", "region")),
                m.UniqueConstraint(name="one_name_per_region", columns=("region", "name")),
                m.UniqueConstraint(name="unique_seq", columns=("seq",)),
            ),
            checks=(m.CheckConstraint(name="clients_email_check", expression="((email)::text ~~ '%@%'::text)"),),
            foreign_keys=(
                _fk("clients_agent_id_fkey", ("agent_id",), "users", ("id",), on_delete="SET DEFAULT"),
                _fk("clients_backup_id_fkey", ("backup_id",), "clients", ("id",), on_delete="NO ACTION",
                    on_update="CASCADE"),
                _fk("clients_manager_id_fkey", ("manager_id",), "users", ("id",), on_delete="SET NULL"),
                _fk("clients_referrer_id_fkey", ("referrer_id",), "clients", ("id",), on_delete="RESTRICT"),
                _fk("referred_by", ("referrer_id",), "clients", ("id",)),
            ),
            indexes=(
                m.Index(name="clients_data_idx", keys=(m.IndexKey(column="data", opclass="jsonb_path_ops"),),
                        method="gin", comment="JSON containment."),
                m.Index(name="clients_expr_idx", keys=(m.IndexKey(expression="(data ->> 'kind'::text)"),)),
                m.Index(name="clients_lower_idx", keys=(m.IndexKey(expression="lower(name)"),)),
                m.Index(name="clients_name_region_idx", keys=(m.IndexKey(column="name"), m.IndexKey(column="region"))),
                m.Index(
                    name="clients_vin_key",
                    keys=(m.IndexKey(expression="(data ->> 'vin'::text)"),),
                    unique=True,
                    where="(data ? 'vin'::text)",
                ),
            ),
        ),
        m.Table(
            name="users",
            columns=(
                m.Column(name="id", type="integer", nullable=False),
                m.Column(name="team", type="integer"),
                m.Column(name="region", type="text"),
            ),
            primary_key=m.PrimaryKey(name="users_pk", columns=("id",)),
            uniques=(
                m.UniqueConstraint(name="users_id_region_key", columns=("id", "region")),
                m.UniqueConstraint(name="users_team_region_key", columns=("team", "region")),
            ),
            foreign_keys=(
                _fk("users_team_region_fkey", ("team", "region"), "users", ("id", "region")),
            ),
        ),
    ),
)


# Constraint names are unique per table only; a default name that another table's constraint
# also carries would be numbered away by the compiler, so those names are always written.
SHARED = m.Database(
    tables=(
        m.Table(
            name="a",
            columns=(m.Column(name="id", type="integer", nullable=False), m.Column(name="b_id", type="integer")),
            primary_key=m.PrimaryKey(name="a_pkey", columns=("id",)),
            uniques=(m.UniqueConstraint(name="a_b_id_key", columns=("b_id",)),),
            checks=(m.CheckConstraint(name="b_pkey", expression="(id > 0)"),),
            foreign_keys=(_fk("a_b_id_fkey", ("b_id",), "b", ("id",)), _fk("same", ("id",), "b", ("id",))),
        ),
        m.Table(
            name="b",
            columns=(m.Column(name="id", type="integer", nullable=False), m.Column(name="a_id", type="integer")),
            primary_key=m.PrimaryKey(name="b_pkey", columns=("id",)),
            checks=(m.CheckConstraint(name="a_b_id_key", expression="(id > 0)"),),
            foreign_keys=(_fk("a_b_id_fkey", ("a_id",), "a", ("id",)), _fk("same", ("a_id",), "a", ("id",))),
        ),
    ),
)


def test_names_shared_by_two_tables_are_always_written() -> None:
    files = render_project(SHARED).files
    a, b = yaml.safe_load(files["tables/a.yaml"]), yaml.safe_load(files["tables/b.yaml"])
    assert a["columns"] == {"id": {"type": "integer", "primary_key": True}, "b_id": {"type": "integer"}}
    assert a["unique"] == [{"columns": ["b_id"], "name": "a_b_id_key"}]
    assert a["foreign_keys"][0] == {"name": "a_b_id_fkey", "columns": ["b_id"], "references": {"table": "b",
                                                                                             "columns": ["id"]}}
    assert b["primary_key"] == {"columns": ["id"], "name": "b_pkey"}


def _canonical_order(db: m.Database) -> bool:
    """Every collection but columns sorted by name, as both compilers of a model produce it."""
    named = [db.extensions, db.enums, db.tables]
    for t in db.tables:
        named += [t.uniques, t.checks, t.foreign_keys, t.indexes]
    return all(tuple(items) == m.sort_by_name(items) for items in named)


def test_test_models_are_in_canonical_order() -> None:
    assert _canonical_order(SMALL) and _canonical_order(RICH) and _canonical_order(SHARED)


def test_rich_model_writes_everything_without_skips() -> None:
    assert render_project(RICH).skipped == ()


def test_every_file_is_yaml_that_says_what_it_means() -> None:
    files = render_project(RICH).files
    leads = yaml.safe_load(files["tables/Order.yaml"])
    assert leads["columns"]["my col"] == {"type": "text", "collation": "C", "description": COMMENT}
    assert leads["primary_key"] == ["client_id", "select"]
    assert leads["foreign_keys"] == [  # deferrable: table level, though its name is the default
        {
            "columns": ["client_id"],
            "references": {"table": "clients", "columns": ["id"]},
            "on_delete": "cascade",
            "deferrable": True,
            "initially_deferred": True,
        }
    ]
    assert yaml.safe_load(files["pgevolve.yaml"])["enums"]["policy_status"] == {
        "values": ["quoted", "active", "lapsed: yes"],
        "description": COMMENT,
    }


def test_column_sugar_only_where_names_are_the_defaults() -> None:
    clients = yaml.safe_load(render_project(RICH).files["tables/clients.yaml"])
    columns = clients["columns"]
    assert columns["id"] == {"type": "serial", "primary_key": True}
    assert columns["email"] == {"type": "character varying(320)", "unique": True}
    assert columns["code"] == {"type": "bigint", "unique": True, "identity": "always"}
    assert columns["seq"] == {"type": "integer", "identity": "by default"}
    assert columns["referrer_id"] == {"type": "integer", "references": "clients.id", "on_delete": "restrict"}
    assert columns["backup_id"] == {"type": "integer", "references": "clients.id", "on_update": "cascade"}
    assert clients["unique"] == [
        ["name", "region"],
        {"columns": ["region", "name"], "name": "one_name_per_region"},
        {"columns": ["seq"], "name": "unique_seq"},
    ]
    assert clients["foreign_keys"] == [
        {"name": "referred_by", "columns": ["referrer_id"], "references": {"table": "clients", "columns": ["id"]}}
    ]


def test_indexes_name_only_when_not_the_default() -> None:
    files = render_project(RICH).files
    assert yaml.safe_load(files["tables/clients.yaml"])["indexes"] == [
        {"columns": ["data"], "using": "gin", "opclass": "jsonb_path_ops", "description": "JSON containment."},
        {"expression": "(data ->> 'kind'::text)"},
        {"expression": "lower(name)"},
        {"columns": ["name", "region"]},
        {"name": "clients_vin_key", "expression": "(data ->> 'vin'::text)", "unique": True,
         "where": "(data ? 'vin'::text)"},
    ]
    assert yaml.safe_load(files["tables/Order.yaml"])["indexes"] == [
        {"columns": ["my col"], "using": "hash"},
        {"columns": ["total"], "include": ["status"]},
        {"name": "order_by_total", "columns": ["total"], "include": ["status"],
         "description": "Totals, covering status."},
        {"name": "order_tags_trgm", "columns": ["tags"], "using": "gin"},
    ]


def _table(**kw: object) -> m.Table:
    columns = (m.Column(name="a", type="integer"), m.Column(name="b", type="text"), m.Column(name="c", type="year"))
    return m.Table(name="t", columns=columns, **kw)  # type: ignore[arg-type]


def test_what_the_format_cannot_express_is_reported() -> None:
    db = m.Database(
        extensions=(m.Extension(name="odd name"), m.Extension(name="postgis", schema="extensions")),
        enums=(m.EnumType(name="blank", values=("",)), m.EnumType(name="nothing", values=())),
        tables=(
            _table(
                foreign_keys=(_fk("t_a_fkey", ("a",), "other", ("id",), ref_schema="billing"),),
                indexes=(
                    m.Index(name="t_expr_idx", keys=(m.IndexKey(expression="lower(b)"),), valid=False),
                    m.Index(name="t_a_idx", keys=(m.IndexKey(column="a"),), include=("b", "b")),
                ),
            ),
        ),
    )
    result = render_project(db)
    assert result.skipped == (
        'extension "odd name": the format accepts letters, digits, \'_\', \'-\' and \'.\'; not imported',
        'enum type "blank": no values, or an empty value, is not in the format; not imported',
        'enum type "nothing": no values, or an empty value, is not in the format; not imported',
        'column "c" on table "t": unknown type \'year\'; written as is: the YAML does not validate until the type '
        "is changed",
        'index "t_expr_idx" on table "t": INVALID (a failed concurrent build); written as a normal index',
        'index "t_a_idx" on table "t": an INCLUDE column listed twice is not in the format; not imported',
    )
    assert sorted(result.files) == ["pgevolve.yaml", "tables/t.yaml"]
    # An extension of another schema and a foreign key into one are in the format (issue 11, part B).
    assert yaml.safe_load(result.files["pgevolve.yaml"]) == {
        "schema": "public", "external_schemas": ["billing"],
        "extensions": [{"name": "postgis", "schema": "extensions"}]}
    table = yaml.safe_load(result.files["tables/t.yaml"])
    assert table["foreign_keys"] == [{"columns": ["a"], "references": {"schema": "billing", "table": "other",
                                                                        "columns": ["id"]}}]
    assert table["indexes"] == [{"name": "t_expr_idx", "expression": "lower(b)"}]  # PostgreSQL says t_lower_idx


def test_key_options_constraint_states_and_table_settings_are_written() -> None:
    """Issue 11: what import used to note and drop is written, in the short forms where they say it all."""
    db = m.Database(
        enums=(m.EnumType(name="Role", values=("admin",)),),
        tables=(
            m.Table(name="empty", columns=()),
            m.Table(
                name="t",
                columns=(m.Column(name="a", type="integer", nullable=False), m.Column(name="b", type="text"),
                         m.Column(name="r", type='"Role"[]'), m.Column(name="s", type='"Role"')),
                primary_key=m.PrimaryKey(name="t_pkey", columns=("a",), include=("b",), deferrable=True),
                uniques=(m.UniqueConstraint(name="t_b_key", columns=("b",), nulls_not_distinct=True),),
                checks=(m.CheckConstraint(name="t_a_check", expression="(a > 0)", valid=False, no_inherit=True),),
                foreign_keys=(_fk("t_b_fkey", ("b",), "empty", ("id",)),),
                indexes=(
                    m.Index(name="t_a_idx", keys=(m.IndexKey(column="a", descending=True),)),
                    m.Index(name="t_b_idx", keys=(m.IndexKey(column="b", nulls_first=True),)),
                    m.Index(name="t_a_lower_idx", keys=(m.IndexKey(column="a"), m.IndexKey(expression="lower(b)"))),
                    m.Index(name="t_a_b_idx", keys=(m.IndexKey(column="a", opclass="int4_ops"),
                                                    m.IndexKey(column="b", opclass="ext.gin_trgm_ops"))),
                    m.Index(name="t_b_idx1", keys=(m.IndexKey(column="b"),), method="spgist"),
                    m.Index(name="t_a_a_idx", keys=(m.IndexKey(column="a"), m.IndexKey(column="a"))),
                    m.Index(name="t_b_idx2", keys=(m.IndexKey(column="b"),), unique=True, nulls_not_distinct=True),
                ),
                storage=(("autovacuum_enabled", "false"), ("fillfactor", "70"), ("vacuum_index_cleanup", "auto")),
                replica_identity="index", replica_identity_index="t_b_key",
            ),
        ),
    )
    result = render_project(db)
    assert result.skipped == ()
    assert yaml.safe_load(result.files["tables/empty.yaml"]) == {"table": "empty", "columns": {}}
    table = yaml.safe_load(result.files["tables/t.yaml"])
    assert table["columns"]["r"] == {"type": "Role[]"} and table["columns"]["s"] == {"type": "Role"}
    assert table["primary_key"] == {"columns": ["a"], "include": ["b"], "deferrable": True}
    assert table["unique"] == [{"columns": ["b"], "nulls_not_distinct": True}]
    assert table["checks"] == [{"name": "t_a_check", "expression": "(a > 0)", "not_valid": True, "no_inherit": True}]
    assert table["columns"]["b"] == {"type": "text", "references": "empty.id"}
    assert table["indexes"] == [
        {"keys": [{"column": "a", "desc": True}]},
        {"keys": [{"column": "b", "nulls": "first"}]},
        {"keys": ["a", {"expression": "lower(b)"}]},  # PostgreSQL names it t_a_lower_idx
        {"keys": [{"column": "a", "opclass": "int4_ops"}, {"column": "b", "opclass": "ext.gin_trgm_ops"}]},
        {"name": "t_b_idx1", "columns": ["b"], "using": "spgist"},
        {"keys": ["a", "a"]},
        {"name": "t_b_idx2", "columns": ["b"], "unique": True, "nulls_not_distinct": True},
    ]
    assert table["storage"] == {"autovacuum_enabled": False, "fillfactor": 70, "vacuum_index_cleanup": "auto"}
    assert table["replica_identity"] == {"index": "t_b_key"}


def test_file_names_are_safe_and_distinct_ignoring_case() -> None:
    tables = tuple(m.Table(name=n, columns=()) for n in ("Order", "a/b", "order", "..", "ok_name"))
    names = table_file_names(tables)
    assert names[0] == "Order.yaml" and names[4] == "ok_name.yaml"
    assert len({n.lower() for n in names}) == 5
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_write_project_creates_dirs_overwrites_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "mine.yaml").write_text("keep me\n")
    (tmp_path / "pgevolve.yaml").write_text("old\n")
    written = write_project(render_project(SMALL).files, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "pgevolve.yaml",
        "tables/lead_statuses.yaml",
        "tables/leads.yaml",
    ]
    assert (tmp_path / "pgevolve.yaml").read_text() == SMALL_PROJECT
    assert (tmp_path / "tables" / "mine.yaml").read_text() == "keep me\n"


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(TEXT, st.text(max_size=150), st.booleans(), st.integers(), st.floats(allow_nan=False,
                                                                                        allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(key=TEXT, value=TEXT)
def test_any_string_round_trips_through_the_emitter(key: str, value: str) -> None:
    data = {"columns": {key: {"type": value, "description": value}}, "list": [value, {key: [value]}], "x": value}
    text = document(data, header=(), aligned=("columns",))
    assert yaml.safe_load(text) == data


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(TEXT, VALUES, max_size=5))
def test_any_nesting_round_trips_through_the_emitter(data: dict) -> None:
    keys = list(data)[:1]
    assert yaml.safe_load(document(data, aligned=keys)) == (data or None)


@pytest.mark.parametrize("value", ["0o17", "1e3", "0x1F", "1_000", ".5", "+1", "-", "~", "null", "yes", "No", "on"])
def test_strings_that_read_as_numbers_or_booleans_in_some_yaml_version_are_quoted(value: str) -> None:
    assert scalar(value).startswith('"')


def test_documents_load_the_same_under_yaml_1_2() -> None:
    loader = ruamel.yaml.YAML(typ="safe", pure=True)
    for text in render_project(RICH).files.values():
        assert loader.load(text) == yaml.safe_load(text)


def test_rich_model_round_trips_through_the_spec_compiler(tmp_path: Path) -> None:
    for db in (SMALL, RICH, SHARED):
        out = tmp_path / db.tables[0].name
        write_project(render_project(db).files, out)
        compiled, _hints = compile_project(load_project(out))
        assert compiled == db


def _introspect(dsn: str, schema: str = "public") -> m.Database:
    from pgevolve.catalog import introspect
    from pgevolve.server.connect import connect

    with connect(dsn) as conn:
        return introspect(conn, schema)


def _compile(directory: Path) -> m.Database:
    from pgevolve.source import compile_project, load_project

    return compile_project(load_project(directory))[0]


def test_the_crm_schema_survives_build_import_compile(databases: object, tmp_path: Path) -> None:
    """schema/ -> PostgreSQL -> catalog -> import -> compile gives the catalog's model back, nothing skipped."""
    from pgevolve.sqltext.ddl import schema_sql

    desired = _compile(Path(__file__).resolve().parent.parent / "schema")
    dsn = databases.create(schema_sql(desired))  # type: ignore[attr-defined]
    actual = _introspect(dsn, desired.schema)
    result = render_project(actual)
    write_project(result.files, tmp_path)
    assert result.skipped == ()
    assert _compile(tmp_path) == actual


CLEAN_CORPUS = [
    "schemas/chinook/schema.sql",
    *(f"pairs/migra/{case}/{side}.sql" for case in ("constraints", "excludeschema", "extversions", "identitycols")
      for side in "ab"),
    "pairs/migra/generated/b.sql",
    "pairs/migra/generated_added/b.sql",
]


@pytest.mark.parametrize("relative", CLEAN_CORPUS)
def test_a_real_schema_survives_import_compile(relative: str, corpus: Path, databases: object, tmp_path: Path) -> None:
    dsn = databases.create((corpus / relative).read_text())  # type: ignore[attr-defined]
    actual = _introspect(dsn)
    result = render_project(actual)
    write_project(result.files, tmp_path)
    assert result.skipped == ()
    assert _compile(tmp_path) == actual


@pytest.mark.parametrize("relative", ["schemas/chinook/schema.sql", "pairs/migra/identitycols/b.sql",
                                      "pairs/migra/generated/b.sql", "pairs/migra/excludeschema/b.sql"])
def test_a_plan_right_after_import_is_empty(
    relative: str, corpus: Path, databases: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus oracle: import a database, plan the YAML against that same database: no changes."""
    from pgevolve.pipeline import plan_against
    from pgevolve.server.connect import Target

    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))
    dsn = databases.create((corpus / relative).read_text())  # type: ignore[attr-defined]
    write_project(render_project(_introspect(dsn)).files, tmp_path / "schema")
    planned = plan_against(tmp_path / "schema", Target(dsn, "--database-url"))
    assert planned.plan.is_empty


def test_pagila_survives_import_compile_but_for_its_domain(corpus: Path, databases: object, tmp_path: Path) -> None:
    """The one thing the format lacks in pagila is the domain `year`: reported, and written as is."""
    dsn = databases.create((corpus / "schemas/pagila/schema.sql").read_text())  # type: ignore[attr-defined]
    actual = _introspect(dsn)
    assert render_project(actual).skipped == (
        'column "release_year" on table "film": unknown type \'year\'; written as is: the YAML does not validate '
        "until the type is changed",
    )
    # What a DBA does next: write the domain's base type instead. Everything else comes back unchanged.
    patched = replace(actual, tables=tuple(replace(t, columns=tuple(
        replace(c, type="integer") if c.type == "year" else c for c in t.columns)) for t in actual.tables))
    write_project(render_project(patched).files, tmp_path)
    assert _compile(tmp_path) == patched


@pytest.mark.parametrize(
    ("text", "written"),
    [("3", 3), ("-1", -1), ("4.99", 4.99), ("true", True), ("false", False), ("0.10", "0.10"), ("007", "007"),
     ("1e3", "1e3"), ("now()", "now()"), ("'{}'::jsonb", "'{}'::jsonb")],
)
def test_defaults_are_bare_only_when_the_compiler_spells_them_back_the_same(text: str, written: object) -> None:
    from pgevolve.importer.spelling import default
    from pgevolve.source.compile import sql_default

    value = default(text)
    assert value == written and type(value) is type(written)
    assert sql_default(value) == text  # type: ignore[arg-type]
    assert yaml.safe_load(f"default: {scalar(value)}") == {"default": written}
