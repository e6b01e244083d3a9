"""Unmanaged objects that a plan cannot get past, found at plan time (pure: no server)."""

from __future__ import annotations

from pgevolve import model
from pgevolve.diff import diff
from pgevolve.model import UnmanagedObject
from pgevolve.plan.blockers import find_blockers

LEADS = model.Table(name="leads", columns=(
    model.Column(name="id", type="integer", nullable=False),
    model.Column(name="fax", type="text"),
    model.Column(name="score", type="integer"),
))
ACTUAL = model.Database(tables=(LEADS,))
VIEW = UnmanagedObject(kind="view", name="lead_faxes", depends_on=(("leads", "fax"), ("leads", "id")))
OWN_TRIGGER = UnmanagedObject(kind="trigger", name="audit", detail="on leads", depends_on=(("leads", "score"),))


def _blockers(desired: model.Database, hints: model.Hints | None = None,
              unmanaged: tuple[UnmanagedObject, ...] = (VIEW, OWN_TRIGGER)) -> tuple[str, ...]:
    hints = hints or model.Hints()
    return find_blockers(diff(ACTUAL, desired, hints), unmanaged, ACTUAL, hints)


def _leads(*columns: model.Column, name: str = "leads") -> model.Database:
    return model.Database(tables=(model.Table(name=name, columns=columns),))


def test_a_dropped_or_retyped_column_that_an_unmanaged_object_uses_is_blocked() -> None:
    id_, fax, score = LEADS.columns
    assert _blockers(_leads(id_, score)) == (
        "view lead_faxes depends on column leads.fax, which this plan drops: PostgreSQL refuses while it exists, "
        "and pgevolve leaves unmanaged objects alone (drop or change it first, and create it again afterwards)",)
    retyped = _blockers(_leads(id_, fax, model.Column(name="score", type="bigint")))
    assert [b.split(",")[0] for b in retyped] == ["trigger audit depends on column leads.score"]
    assert _blockers(_leads(id_, fax, score, model.Column(name="note", type="text"))) == ()


def test_dropping_the_table_is_blocked_by_a_view_not_by_its_own_trigger() -> None:
    found = _blockers(model.Database())
    assert [b.split(",")[0] for b in found] == ["view lead_faxes depends on table leads"]


def test_dependencies_are_matched_under_the_names_before_the_renames() -> None:
    id_, _, score = LEADS.columns
    hints = model.Hints(table_renames={"prospects": "leads"}, column_renames={("prospects", "fax2"): "fax"})
    renamed = _blockers(_leads(id_, model.Column(name="fax2", type="bigint"), score, name="prospects"), hints)
    assert [b.split(",")[0] for b in renamed] == ["view lead_faxes depends on column prospects.fax2"]
