"""The risk of a plan, sized by the live tables: which steps lock, scan or rewrite which table, for how many rows.

Each step is traced back to the change it belongs to (``steps_for``), so the
comment can say what a step is about in plain words (an index by what it
indexes, not by the name PostgreSQL made up for it) and can tell a step that
checks existing rows from one on a column this very plan adds (which holds no
values yet, so cannot fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pgevolve import changes as ch
from pgevolve import model
from pgevolve.plan.context import Context
from pgevolve.plan.drift.facts import foreign_key_definition
from pgevolve.plan.planner import steps_for
from pgevolve.plan.steps import Hazard, Step
from pgevolve.plan.summary import summarize
from pgevolve.review.terms import c
from pgevolve.sqltext.expression_facts import referenced_columns


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSteps:
    change: ch.Change
    table: str | None  # None: schema-wide (extension, enum)
    steps: tuple[Step, ...]
    new_table: bool  # the table is created by this plan: empty
    on_new_columns: bool  # only about columns this plan adds: they hold no values yet

    @property
    def can_fail_on_rows(self) -> tuple[Step, ...]:
        if self.new_table or self.on_new_columns or _copies_text(self.change):
            return ()
        return tuple(s for s in self.steps if s.hazard is Hazard.DATA)


def _copies_text(change: ch.Change) -> bool:
    """A promotion into a text column: `->>` yields text, so no existing value can fail to convert."""
    return isinstance(change, ch.PromoteColumn) and change.column.type == "text"


def trace(changes: list[ch.Change], actual: model.Database, desired: model.Database) -> list[ChangeSteps]:
    """Each change with its steps, and whether it touches existing rows."""
    ctx = Context.of(actual, desired, changes)
    created = {change.definition.name for change in changes if isinstance(change, ch.CreateTable)}
    added: dict[str, set[str]] = {}
    for change in changes:
        if isinstance(change, ch.AddColumn | ch.PromoteColumn):
            added.setdefault(change.table, set()).add(change.column.name)
    traced = []
    for change in changes:
        steps = tuple(steps_for(change, ctx))
        if isinstance(change, ch.RetypeOnline):  # one change over several tables: each is sized on its own
            traced += [ChangeSteps(change=change, table=t.name, steps=steps, new_table=False, on_new_columns=False)
                       for t in change.tables]
            continue
        table = ch.table_of(change)
        traced.append(ChangeSteps(change=change, table=table, steps=steps, new_table=table in created,
                                  on_new_columns=_only_new_columns(change, added.get(table or "", set()))))
    return traced


def _only_new_columns(change: ch.Change, added: set[str]) -> bool:
    """A constraint or index whose columns are all added by this plan (PromoteColumn excluded: it reads the JSON)."""
    if not added:
        return False
    match change:
        case ch.AddCheck(check=check) | ch.ValidateConstraint(constraint=model.CheckConstraint() as check):
            mentioned = referenced_columns(check.expression) or frozenset()
            return bool(mentioned) and mentioned <= added
        case ch.AddUnique(constraint=unique):
            return set(unique.columns) <= added
        case ch.AddPrimaryKey(key=primary):
            return set(primary.columns) <= added
        case ch.AddForeignKey(foreign_key=fk):
            return set(fk.columns) <= added
        case ch.CreateIndex(index=index):
            return _index_columns(index) <= added
        case _:
            return False


def _index_columns(index: model.Index) -> set[str]:
    """The columns an index reads ("" for an expression that does not parse: never all new)."""
    found: set[str] = set()
    for key in index.keys:
        if key.column:
            found.add(key.column)
        else:
            found |= referenced_columns(key.expression or "") or {""}
    return found


def what(change: ch.Change, table: str | None = None) -> str:
    """The change in a few words, indexes by what they index (an online type change: ``table``'s columns)."""
    match change:
        case ch.RetypeOnline(tables=tables) if table is not None:
            columns = [f"{c(t.name + '.' + col.new.name)} ({c(col.old.type)} → {c(col.new.type)})"
                       for t in tables for col in t.columns if t.name == table]
            return f"the type of {', '.join(columns)}, online"
        case ch.CreateIndex(index=index) | ch.ReplaceIndex(new=index) | ch.DropIndex(index=index):
            return f"the {'unique ' if index.unique else ''}index on {index_subject(index)} ({c(index.name)})"
        case ch.AddCheck(check=check) | ch.ValidateConstraint(constraint=model.CheckConstraint() as check):
            columns = sorted(referenced_columns(check.expression) or ())
            on = ", ".join(c(col) for col in columns) or "the row"
            return f"the rule on {on} ({c(check.name)})"
        case ch.AddUnique(constraint=key) | ch.AddPrimaryKey(key=key) | ch.ReplaceKey(new=key):
            return f"uniqueness of {', '.join(c(col) for col in key.columns)}"
        case ch.AddForeignKey(foreign_key=fk):
            return f"the link {c(foreign_key_definition(fk))}"
        case ch.PromoteColumn(table=table, column=column, trigger=t):
            return f"{c(table + '.' + column.name)} from {c(t.source_column + '.' + t.key)}"
        case _:
            text = summarize(change)
            return text[:1].lower() + text[1:]


def index_subject(index: model.Index) -> str:
    """What an index indexes, as PostgreSQL prints it: `status_id`, `(home_data ->> 'roof_type'::text)`."""
    keys = ", ".join(c(k.column or k.expression or "") for k in index.keys)
    method = f" ({index.method})" if index.method != "btree" else ""
    where = f" where {c(index.where)}" if index.where else ""
    return f"{keys}{method}{where}"


ONLINE = ("a shadow column of the new type, kept equal by a trigger, is filled in short batches (writers wait at most "
          "one batch), its indexes and keys are built CONCURRENTLY, then it is swapped in by one short transaction "
          "that reads no row (reads and writes wait milliseconds); the old column is dropped right after")


def _online_risks(item: ChangeSteps) -> str:
    hazards = {s.hazard for s in item.steps}
    risks = []
    if Hazard.DATA in hazards:
        risks.append("**can fail on existing rows** (a value that does not convert: counted before anything runs)")
    if Hazard.DESTRUCTIVE in hazards:
        risks.append("**the old values are gone once converted** (narrowed or rounded: needs `--allow-destructive`)")
    return "; " + "; ".join(risks) if risks else ""


def rows_text(size: Any) -> str:
    """'≈1,234,567 rows, 850 MB' / '12 rows, 64 kB' / 'rows unknown (never analyzed), 1.2 GB'."""
    if size is None:
        return "size unknown"
    if size.rows is None:
        rows = "rows unknown (never analyzed)"
    else:
        rows = f"{'' if size.exact else '≈'}{size.rows:,} row{'s' * (size.rows != 1)}"
    return f"{rows}, {_bytes(size.bytes)}"


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("bytes", "kB") or value >= 10 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def is_empty(size: Any) -> bool:
    """Counted, and no row: nothing there can make a step fail."""
    return size is not None and size.exact and size.rows == 0


def effects(items: list[ChangeSteps], *, empty: bool = False) -> list[str]:
    """What the steps of each change do to an existing table: rewrite, backfill, scans, locks, failures, loss."""
    found: list[str] = []
    for item in items:
        kinds = {s.kind for s in item.steps}
        hazards = {s.hazard for s in item.steps}
        verbs = []
        if isinstance(item.change, ch.RetypeOnline):
            found.append(f"{what(item.change, item.table)}: {ONLINE}" + _online_risks(item))
            continue
        if Hazard.REWRITE in hazards:
            verbs.append("rewrites every row under an ACCESS EXCLUSIVE lock (reads and writes wait until it ends)")
        if "backfill" in kinds:
            verbs.append("filled in short batches, each its own transaction (writers wait at most one batch)")
        if "create_index_concurrently" in kinds:
            verbs.append("built CONCURRENTLY (reads every row; reads and writes go on)")
        if "validate_constraint" in kinds:
            verbs.append("checks every row (reads and writes go on)")
        if Hazard.LOCKS in hazards:
            verbs.append("a brief ACCESS EXCLUSIVE lock")
        if item.can_fail_on_rows and not empty:
            verbs.append("**can fail on existing rows**")
        if Hazard.WEAKENS in hazards:
            verbs.append("**drops an index or constraint only the database has** (needs `--allow-destructive`)")
        if Hazard.DESTRUCTIVE in hazards:
            verbs.append("**deletes data** (needs `--allow-destructive`)")
        if verbs:
            found.append(f"{what(item.change)}: {', '.join(verbs)}")
    return list(dict.fromkeys(found))
