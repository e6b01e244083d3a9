"""What every step builder needs: the scope for names, both models, and a terse Step constructor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pgevolve import model
from pgevolve.changes import AlterColumn, RenameTable
from pgevolve.plan.steps import Batched, Hazard, Phase, Step, StepKind
from pgevolve.sqltext.ddl import Scope


@dataclass(frozen=True, slots=True)
class Context:
    scope: Scope
    actual: model.Database
    desired: model.Database
    # A table this plan renames, by its new name -> its name in ``actual``.
    renamed_from: dict[str, str] = field(default_factory=dict)
    # The columns this plan alters in place (AlterColumn), by (table, column), desired names.
    altered: dict[tuple[str, str], AlterColumn] = field(default_factory=dict)

    @classmethod
    def of(cls, actual: model.Database, desired: model.Database, changes: Iterable[object] = ()) -> Context:
        changes = tuple(changes)
        enums = frozenset(e.name for e in (*actual.enums, *desired.enums))
        renamed = {c.new: c.old for c in changes if isinstance(c, RenameTable)}
        altered = {(c.table, c.new.name): c for c in changes if isinstance(c, AlterColumn)}
        return cls(Scope(desired.schema, enums), actual, desired, renamed, altered)

    def alterations(self, table: str, columns: Iterable[str] | None) -> tuple[AlterColumn, ...]:
        """This plan's in-place changes to ``columns`` of ``table`` (desired names; None: columns that
        cannot be told, so every altered column of the table)."""
        if columns is None:
            return tuple(c for (t, _), c in self.altered.items() if t == table)
        return tuple(c for name in columns if (c := self.altered.get((table, name))) is not None)

    def actual_table(self, name: str) -> model.Table | None:
        """The live table that becomes ``name`` (under its old name when this plan renames it)."""
        return self.actual.table(self.renamed_from.get(name, name))

    def relation(self, name: str) -> str:
        """A relation's name as counted for transaction sizing."""
        return f"{self.scope.schema}.{name}"

    def table_relations(self, table: model.Table) -> tuple[str, ...]:
        """The table and the indexes that come with it (keys and plain indexes)."""
        keys = [table.primary_key.name] if table.primary_key else []
        keys += sorted([u.name for u in table.uniques] + [i.name for i in table.indexes])
        return tuple(self.relation(n) for n in [table.name, *keys])


def draft(
    phase: Phase,
    kind: StepKind,
    obj: str,
    sql: str,
    hazard: Hazard,
    reason: str,
    *,
    transactional: bool = True,
    isolated: bool = False,
    relations: tuple[str, ...] = (),
    batch: Batched | None = None,
    together: str | None = None,
) -> Step:
    """A step without its summary; the planner adds the summary of the change it belongs to."""
    return Step(
        phase=phase,
        kind=kind,
        object=obj,
        sql=sql,
        hazard=hazard,
        reason=reason,
        summary="",
        transactional=transactional,
        isolated=isolated,
        relations=relations,
        batch=batch,
        together=together,
    )
