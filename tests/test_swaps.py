"""Replacing keys and indexes without a window: the diff (whole values) and interrupted applies on a real server."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sample_models import db, table

from conftest import DatabaseFactory
from oracles import same_catalog
from pgevolve.apply.run import ApplyOptions, execute_plan
from pgevolve.changes import (
    AddUnique,
    AlterForeignKey,
    RenameColumn,
    RenameIndex,
    ReplaceIndex,
    ReplaceKey,
    ValidateConstraint,
)
from pgevolve.diff import diff
from pgevolve.model import Column, ForeignKey, Hints, Index, IndexKey, PrimaryKey, UniqueConstraint
from pgevolve.pipeline import plan_against, read_database
from pgevolve.plan.render import render_text
from pgevolve.plan.steps import Plan
from pgevolve.server.connect import Target
from pgevolve.sqltext.expression_facts import rename_column_refs
from pgevolve.sqltext.ident import MAX_IDENTIFIER_BYTES, temporary_index_name

pytestmark = pytest.mark.usefixtures("private_cache")
CASES = Path(__file__).parent / "cases"
EMAIL = Column(name="email", type="text")
PHONE = Column(name="phone", type="text")
OLD = Index(name="t_contact_idx", keys=(IndexKey(column="email"),), unique=True)
NEW = replace(OLD, keys=(IndexKey(column="email"), IndexKey(column="phone")))


def test_temporary_name_fits_the_identifier_limit() -> None:
    assert temporary_index_name("leads_contact_idx") == "leads_contact_idx_pgevolve_new"
    long = temporary_index_name("x" * 63)
    assert len(long.encode()) == MAX_IDENTIFIER_BYTES and long.endswith("_pgevolve_new")


def test_column_references_follow_a_rename_as_the_server_prints_them() -> None:
    assert rename_column_refs("(car ->> 'vin'::text)", "car", "auto_data") == "(auto_data ->> 'vin'::text)"
    # Strings, qualified names and function names are not the column; keywords and capitals get quoted.
    assert rename_column_refs("(f(car) || 'car'::text || x.car)", "car", "select") == \
        "(f(\"select\") || 'car'::text || x.car)"
    assert rename_column_refs('("Car" IS NOT NULL)', "Car", "Auto") == '("Auto" IS NOT NULL)'
    assert rename_column_refs("(car ->", "car", "auto") is None


def test_leftover_temporary_index_with_the_new_definition_is_reused() -> None:
    temp = replace(NEW, name=temporary_index_name(NEW.name))
    actual = db(table("t", EMAIL, PHONE, indexes=(OLD, temp)))
    desired = db(table("t", EMAIL, PHONE, indexes=(NEW,)))
    assert diff(actual, desired) == [ReplaceIndex(table="t", old=OLD, new=NEW, prebuilt=True)]
    # Another definition: it is dropped, and the replacement built again.
    stale = replace(temp, keys=(IndexKey(column="phone"),))
    changes = diff(db(table("t", EMAIL, PHONE, indexes=(OLD, stale))), desired)
    assert ReplaceIndex(table="t", old=OLD, new=NEW) in changes and len(changes) == 2


def test_unique_index_with_a_key_definition_is_attached_under_any_name() -> None:
    index = Index(name="t_email_uniq", keys=(IndexKey(column="email"),), unique=True)
    key = UniqueConstraint(name="t_email_key", columns=("email",))
    assert diff(db(table("t", EMAIL, indexes=(index,))), db(table("t", EMAIL, uniques=(key,)))) == [
        AddUnique(table="t", constraint=key, using_index="t_email_uniq"),
    ]
    descending = replace(index, keys=(IndexKey(column="email", descending=True),))  # USING INDEX refuses it
    changes = diff(db(table("t", EMAIL, indexes=(descending,))), db(table("t", EMAIL, uniques=(key,))))
    assert AddUnique(table="t", constraint=key) in changes


def test_a_swapped_key_takes_a_unique_index_that_has_its_new_definition() -> None:
    old = UniqueConstraint(name="t_contact_key", columns=("phone", "email"))
    new = replace(old, columns=("email", "phone"))
    ready = replace(NEW, name="t_email_phone_idx")
    assert diff(db(table("t", EMAIL, PHONE, uniques=(old,), indexes=(ready,))),
                db(table("t", EMAIL, PHONE, uniques=(new,)))) == [
        ReplaceKey(table="t", old=old, new=new, using_index="t_email_phone_idx"),
    ]


def test_primary_key_of_another_name_and_columns_is_swapped() -> None:
    old = table("t", EMAIL)
    new = replace(old, primary_key=PrimaryKey(name="t_key", columns=("id", "email")))
    assert diff(db(old), db(new)) == [ReplaceKey(table="t", old=old.primary_key, new=new.primary_key)]


def test_foreign_key_deferrability_is_altered_in_place() -> None:
    parent = Column(name="parent", type="integer")
    fk = ForeignKey(name="t_parent_fkey", columns=("parent",), ref_table="t", ref_columns=("id",))
    deferred = replace(fk, deferrable=True, initially_deferred=True)
    assert diff(db(table("t", parent, foreign_keys=(replace(deferred, valid=False),))),
                db(table("t", parent, foreign_keys=(fk,)))) == [
        AlterForeignKey(table="t", old=replace(deferred, valid=False), new=fk),
        ValidateConstraint(table="t", constraint=fk),
    ]


def test_expression_index_follows_a_renamed_column() -> None:
    car, auto = Column(name="car", type="jsonb"), Column(name="auto_data", type="jsonb")
    old = Index(name="t_car_vin_idx", keys=(IndexKey(expression="(car ->> 'vin'::text)"),),
                where="(car ? 'vin'::text)")
    new = Index(name="t_auto_data_vin_idx", keys=(IndexKey(expression="(auto_data ->> 'vin'::text)"),),
                where="(auto_data ? 'vin'::text)")
    hints = Hints(column_renames={("t", "auto_data"): "car"})
    assert diff(db(table("t", car, indexes=(old,))), db(table("t", auto, indexes=(new,))), hints) == [
        RenameColumn(table="t", old="car", new="auto_data"),
        RenameIndex(table="t", old="t_car_vin_idx", new="t_auto_data_vin_idx"),
    ]


# -- interrupted applies, on a real server ---------------------------------------------------------

def _schema(case: str, tmp_path: Path) -> Path:
    schema_dir = tmp_path / "schema"
    shutil.copytree(CASES / case / "schema", schema_dir)
    (schema_dir / "pgevolve.yaml").write_text("schema: public\n")
    return schema_dir



@pytest.mark.parametrize("case", ["indexes/unique_index_change_same_name",
                                  "constraints/unique_change_referenced_by_fk"])
def test_a_swap_stopped_after_any_step_converges_without_building_twice(
        case: str, databases: DatabaseFactory, tmp_path: Path) -> None:
    schema_dir = _schema(case, tmp_path)
    before = (CASES / case / "before.sql").read_text()
    options = ApplyOptions(search_path="public")
    full = plan_against(schema_dir, Target(databases.create(before), "test")).plan
    fresh = databases.create()
    execute_plan(fresh, plan_against(schema_dir, Target(fresh, "test")).plan, options)
    for done in range(1, len(full.steps)):
        dsn = databases.create(before)
        execute_plan(dsn, Plan(steps=full.steps[:done]), options)  # the run stops here
        rest = plan_against(schema_dir, Target(dsn, "test")).plan
        text = render_text(rest, color=False)
        assert "CREATE UNIQUE INDEX" not in text, text  # the index built before the stop is used, not rebuilt
        assert len(rest.steps) <= len(full.steps) - done + 1, text  # at most one extra: an FK's re-add
        execute_plan(dsn, rest, options)
        assert plan_against(schema_dir, Target(dsn, "test")).plan.is_empty
        assert same_catalog(read_database(dsn, "public")[0], read_database(fresh, "public")[0])
