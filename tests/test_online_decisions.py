"""Which type changes run online, and what an interrupted one left to do: the differ's decisions, without a
server (the online shape end to end is tests/test_online_types.py and the golden cases under types/)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pgevolve import model
from pgevolve.catalog.shadows import set_aside
from pgevolve.changes import AbandonShadow, AlterColumn, DropRetiredColumn, RetypeOnline
from pgevolve.diff import diff
from pgevolve.errors import SpecError
from pgevolve.plan.planner import plan_changes
from pgevolve.plan.steps import Hazard, Plan, StepKind
from pgevolve.source import compile_project, load_project

ID = model.Column(name="id", type="integer", nullable=False, identity="BY DEFAULT")
ACCOUNT = model.Column(name="account_id", type="integer", nullable=False)
EVENT = model.Column(name="event_id", type="integer", nullable=False)


def _events(id_type: str = "integer", account_type: str = "integer", rows: int | None = None) -> model.Table:
    return model.Table(
        name="events",
        columns=(replace(ID, type=id_type), replace(ACCOUNT, type=account_type)),
        primary_key=model.PrimaryKey(name="events_pkey", columns=("id",)),
        indexes=(model.Index(name="events_account_id_idx", keys=(model.IndexKey(column="account_id"),)),),
        row_count=None if rows is None else model.RowCount(rows=rows),
    )


def _notes(event_type: str = "integer", rows: int | None = None) -> model.Table:
    return model.Table(
        name="event_notes",
        columns=(model.Column(name="id", type="integer", nullable=False), replace(EVENT, type=event_type)),
        primary_key=model.PrimaryKey(name="event_notes_pkey", columns=("id",)),
        foreign_keys=(model.ForeignKey(name="event_notes_event_id_fkey", columns=("event_id",), ref_table="events",
                                       ref_columns=("id",)),),
        row_count=None if rows is None else model.RowCount(rows=rows),
    )


def _db(*tables: model.Table, **extra: object) -> model.Database:
    return model.Database(tables=model.sort_by_name(tables), **extra)  # type: ignore[arg-type]


def test_a_rewrite_on_a_big_table_runs_online_with_its_linked_key_and_foreign_key() -> None:
    actual = _db(_events(rows=1_000_000), _notes(rows=10))
    desired = _db(_events("bigint", "bigint"), _notes("bigint"))
    (change,) = diff(actual, desired)
    assert isinstance(change, RetypeOnline)
    assert [t.name for t in change.tables] == ["event_notes", "events"]  # the small table goes the same way
    assert [c.new.name for t in change.tables for c in t.columns] == ["event_id", "account_id", "id"]
    events = change.tables[1]
    assert events.old_primary_key == events.new_primary_key == actual.table("events").primary_key  # type: ignore[union-attr]
    assert [i.name for i in events.new_indexes] == ["events_account_id_idx"]
    assert [(t, live.name if live else None, want.name if want else None) for t, live, want in change.foreign_keys] \
        == [("event_notes", "event_notes_event_id_fkey", "event_notes_event_id_fkey")]
    assert sum(isinstance(c, AlterColumn) for c in change.absorbed) == 3


def test_the_same_change_on_a_small_table_stays_in_place_and_says_why() -> None:
    actual = _db(_events(rows=500), _notes(rows=10))
    desired = _db(_events("bigint", "bigint"), _notes("bigint"))
    changes = diff(actual, desired)
    assert all(isinstance(c, AlterColumn) for c in changes)
    notes = {c.in_place for c in changes if isinstance(c, AlterColumn)}
    assert notes == {"In place: `events` has about 500 rows (the largest of `event_notes`, `events`, changed "
                     "together: a foreign key links them), under online_from_rows (50,000): one rewrite under the "
                     "lock is quicker there than a shadow column, a backfill and a swap."}


def test_the_threshold_is_the_projects_and_counts_the_largest_table_of_the_group() -> None:
    actual = _db(_events(rows=50), _notes(rows=49))
    desired = _db(_events("bigint", "bigint"), _notes("bigint"))
    assert isinstance(diff(actual, desired, model.Hints(online_from_rows=50))[0], RetypeOnline)
    assert isinstance(diff(actual, desired, model.Hints(online_from_rows=51))[0], AlterColumn)


def test_a_change_without_rewrite_stays_in_place_on_any_table() -> None:
    table = model.Table(name="t", columns=(model.Column(name="v", type="character varying(10)"),),
                        row_count=model.RowCount(rows=10**9))
    (change,) = diff(_db(table), _db(replace(table, columns=(model.Column(name="v", type="character varying(80)"),))))
    assert isinstance(change, AlterColumn) and change.in_place is None


def test_using_always_rewrites_and_is_carried_to_both_shapes() -> None:
    table = model.Table(name="t", columns=(model.Column(name="v", type="bigint"),), row_count=model.RowCount(rows=5))
    desired = _db(replace(table, columns=(model.Column(name="v", type="timestamp with time zone"),)))
    hints = model.Hints(conversions={("t", "v"): "to_timestamp(v)"})
    (small,) = diff(_db(table), desired, hints)
    assert isinstance(small, AlterColumn) and small.using == "to_timestamp(v)" and small.in_place
    (big,) = diff(_db(table), desired, replace(hints, online_from_rows=5))
    assert isinstance(big, RetypeOnline) and big.tables[0].columns[0].using == "to_timestamp(v)"


def test_what_the_online_shape_cannot_do_stays_in_place_with_the_reason() -> None:
    table = model.Table(name="t", columns=(model.Column(name="v", type="integer"),
                                           model.Column(name="w", type="integer", generated="(v * 2)")),
                        row_count=model.RowCount(rows=10**6))
    desired = replace(table, columns=(model.Column(name="v", type="bigint"), table.columns[1]))
    change, recomputed = diff(_db(table), _db(desired))
    assert isinstance(change, AlterColumn)
    assert change.in_place is not None and "In place although `t` has about 1,000,000 rows" in change.in_place
    assert "is read by the generated column `w`" in change.in_place
    # PostgreSQL refuses the type change under `w` even in place: dropped before it, added again after it.
    assert isinstance(recomputed, AlterColumn) and (recomputed.new.name, recomputed.changes) == ("w", {"recomputed"})


def test_a_started_online_change_is_resumed_whatever_the_size_and_abandoned_when_the_yaml_moved_on() -> None:
    shadow = model.ShadowColumn(table="events", column="account_id", shadow="account_id_pgevolve_new", type="bigint",
                                backfilled=True, function="events_account_id_pgevolve_retype")
    actual = _db(_events(rows=10), shadows=(shadow,))
    (resumed,) = diff(actual, _db(_events(account_type="bigint")))
    assert isinstance(resumed, RetypeOnline) and resumed.tables[0].columns[0].progress == shadow
    steps = plan_changes([resumed], actual, _db(_events(account_type="bigint"))).steps
    assert not any(s.kind in (StepKind.ADD_COLUMN, StepKind.BACKFILL) for s in steps)  # prepared and backfilled
    moved_on = diff(actual, _db(_events(account_type="numeric(12,0)")))
    assert [type(c) for c in moved_on] == [AbandonShadow, AlterColumn]


def test_the_old_column_of_a_finished_swap_is_dropped_with_the_conversions_hazard() -> None:
    retired = model.RetiredColumn(table="events", name="id_pgevolve_old", replaced_by="id")
    lossy = replace(retired, lossy=True)
    (change,) = diff(_db(_events("bigint"), retired_columns=(retired,)), _db(_events("bigint")))
    assert change == DropRetiredColumn(column=retired)
    assert plan_changes([change], _db(), _db()).highest_hazard is Hazard.SAFE
    assert plan_changes([DropRetiredColumn(column=lossy)], _db(), _db()).highest_hazard is Hazard.DESTRUCTIVE


def test_integer_to_bigint_online_cannot_fail_and_narrowing_needs_consent() -> None:
    actual = _db(_events(rows=10**6), _notes(rows=10))
    plan = plan_changes(diff(actual, _db(_events("bigint", "bigint"), _notes("bigint"))), actual, _db())
    assert plan.highest_hazard is Hazard.SAFE, [s.sql for s in plan.steps if s.hazard is not Hazard.SAFE]
    table = model.Table(name="t", columns=(model.Column(name="v", type="text"),), row_count=model.RowCount(rows=10**6))
    narrow = _db(replace(table, columns=(model.Column(name="v", type="character varying(20)"),)))
    plan = plan_changes(diff(_db(table), narrow), _db(table), narrow)
    destructive = [s for s in plan.steps if s.hazard is Hazard.DESTRUCTIVE]
    assert [s.kind for s in destructive] == [StepKind.DROP_COLUMN]  # the old values' drop, once converted


def test_a_saved_plan_keeps_an_online_change() -> None:
    actual = _db(_events(rows=10**6), _notes(rows=10))
    plan = plan_changes(diff(actual, _db(_events("bigint", "bigint"), _notes("bigint"))), actual, _db())
    again = Plan.from_dict(plan.to_dict())
    assert again == plan and again.steps[0].change == plan.steps[0].change


def test_the_catalogs_shadow_and_old_columns_are_set_aside_from_their_table() -> None:
    live = model.Table(
        name="events",
        columns=(ACCOUNT, model.Column(name="account_id_pgevolve_new", type="bigint"),
                 model.Column(name="id_pgevolve_old", type="integer",
                              comment='pgevolve retired {"column": "id", "lossy": false}'),
                 model.Column(name="id", type="bigint", nullable=False)),
        primary_key=model.PrimaryKey(name="events_pkey", columns=("id",)),
        checks=(model.CheckConstraint(name="events_account_id_pgevolve_new_not_null",
                                      expression="(account_id_pgevolve_new IS NOT NULL)", valid=False),),
        indexes=(model.Index(name="events_account_id_idx", keys=(model.IndexKey(column="account_id"),)),
                 model.Index(name="events_account_id_idx_pgevolve_new",
                             keys=(model.IndexKey(column="account_id_pgevolve_new"),), valid=False)),
    )
    row = {"table_name": "events", "function_name": "events_account_id_pgevolve_retype",
           "retype": {"column": "account_id", "shadow": "account_id_pgevolve_new", "type": "bigint", "using": None,
                      "backfilled": False}}
    db = set_aside(_db(live), [row])
    table = db.table("events")
    assert table is not None and table.column_names == ("account_id", "id")
    assert not table.checks and [i.name for i in table.indexes] == ["events_account_id_idx"]
    (shadow,) = db.shadows
    assert [i.name for i in shadow.indexes] == ["events_account_id_idx_pgevolve_new"] and len(shadow.checks) == 1
    assert db.retired_columns == (model.RetiredColumn(table="events", name="id_pgevolve_old", replaced_by="id"),)


def _load(tmp_path: Path, columns: str, project: str = "schema: public\n") -> str:
    schema = tmp_path / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text(project)
    (schema / "tables" / "t.yaml").write_text("table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
                                               + columns)
    try:
        project_ = load_project(schema)
    except SpecError as exc:
        return str(exc)
    desired, hints = compile_project(project_)
    return f"ok {hints.conversions} {hints.online_from_rows}"


@pytest.mark.parametrize(("columns", "expected"), [
    ('  at: { type: timestamptz, using: "to_timestamp(at)" }\n', "ok {('t', 'at'): 'to_timestamp(at)'} 50000"),
    ('  at: { type: timestamptz, using: "to_timestamp(att)" }\n', "names column 'att', which table 't' does not have"),
    ('  at: { type: timestamptz, using: "to_timestamp(at)); drop table t; --" }\n',
     "closes a parenthesis it did not open"),
    ('  at: { type: timestamptz, using: "(SELECT max(id) FROM t)" }\n', "must not contain a subquery"),
    ('  at: { type: timestamptz, renamed_from: epoch, using: "to_timestamp(epoch)" }\n',
     "names column 'epoch', which is renamed to 'at' first"),
    ('  at: { type: integer, generated: "id * 2", using: "id" }\n', "cannot have both 'generated' and 'using'"),
    ("  at_pgevolve_new: { type: integer }\n", "are pgevolve's own"),
])
def test_using_is_checked_like_every_expression(tmp_path: Path, columns: str, expected: str) -> None:
    assert expected in _load(tmp_path, columns)


def test_online_from_rows_is_a_project_setting(tmp_path: Path) -> None:
    assert _load(tmp_path, "", "schema: public\nonline_from_rows: 0\n").endswith(" 0")
    assert "online_from_rows" in _load(tmp_path / "b", "", "schema: public\nonline_from_rows: -1\n")


def test_a_saved_plan_is_stale_once_an_online_change_has_started_or_swapped() -> None:
    from pgevolve.catalog.fingerprint import changed_objects, object_fingerprints

    before = object_fingerprints(_db(_events(rows=10)), ())
    shadow = model.ShadowColumn(table="events", column="id", shadow="id_pgevolve_new", type="bigint")
    started = object_fingerprints(_db(_events(rows=10), shadows=(shadow,)), ())
    assert changed_objects(before, started) == ["online type change events.id: added"]
    retired = model.RetiredColumn(table="events", name="id_pgevolve_old", replaced_by="id")
    swapped = object_fingerprints(_db(_events("bigint", rows=10), retired_columns=(retired,)), ())
    assert "old column events.id_pgevolve_old: added" in changed_objects(before, swapped)


def test_the_pull_request_says_a_type_change_and_its_conversion_in_the_products_words() -> None:
    from pgevolve.review.yaml_changes import column_lines
    from pgevolve.source.project import ColumnSpec

    old = ColumnSpec(name="created_epoch", type="bigint")
    new = ColumnSpec(name="created_epoch", type="timestamptz", using="to_timestamp(created_epoch)")
    assert column_lines("sessions", old, new) == [
        "`sessions.created_epoch` changes type from `bigint` to `timestamptz`, each value converted by "
        "`to_timestamp(created_epoch)`."]
    assert column_lines("sessions", new, replace(new, using=None)) == []  # no type change: using does nothing
