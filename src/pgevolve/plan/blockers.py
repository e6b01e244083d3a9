"""Unmanaged objects that stand in the way of a change: found at plan time, never dropped.

PostgreSQL refuses to drop a column or a table, or to change a column's type, while
a view, rule, trigger, policy or SQL-bodied function depends on it ("cannot drop
column fax of table leads because other objects depend on it", "cannot alter type of
a column used by a view or rule"). pgevolve never adds CASCADE and never touches what
it does not manage, so such a change is reported with the plan as blocked, and apply
refuses (exit 3) before running anything, rather than failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pgevolve import model
from pgevolve.changes import AlterColumn, Change, DropColumn, DropTable, ReplaceEnum, RetypeOnline

if TYPE_CHECKING:
    from pgevolve.model import UnmanagedObject

_ON_THE_TABLE = ("trigger", "policy", "rule")  # dropped together with the table they are on


def find_blockers(changes: Sequence[Change], unmanaged: Sequence[UnmanagedObject], actual: model.Database,
                  hints: model.Hints) -> tuple[str, ...]:
    """One sentence per (change, unmanaged object) that PostgreSQL would refuse."""
    found: list[str] = list(_online_blockers(changes, unmanaged, actual, hints))
    dependents = [obj for obj in unmanaged if obj.depends_on]
    if not dependents:
        return tuple(dict.fromkeys(found))
    for table, column, verb in _touched(changes):
        source_table, source_column = _actual_names(table, column, actual, hints)
        for obj in dependents:
            if _depends(obj, source_table, source_column):
                what = f"table {table}" if column is None else f"column {table}.{column}"
                found.append(f"{obj.kind} {obj.name} depends on {what}, which this plan {verb}: PostgreSQL refuses "
                             f"while it exists, and pgevolve leaves unmanaged objects alone (drop or change it "
                             f"first, and create it again afterwards)")
    return tuple(dict.fromkeys(found))


# Unmanaged objects that belong to a table (its detail reads "on <table>..."), which an online type change
# cannot carry over: they stand on the old column, and go with it when it is dropped.
_ON_THE_OLD_COLUMN = ("index", "statistics", "exclusion constraint", "foreign key")


def _online_blockers(changes: Sequence[Change], unmanaged: Sequence[UnmanagedObject], actual: model.Database,
                     hints: model.Hints) -> Iterator[str]:
    for change in changes:
        if not isinstance(change, RetypeOnline):
            continue
        for online in change.tables:
            source, _ = _actual_names(online.name, None, actual, hints)
            for obj in unmanaged:
                if obj.kind in _ON_THE_OLD_COLUMN and (obj.detail or "").startswith(f"on {source}"):
                    columns = ", ".join(c.new.name for c in online.columns)
                    yield (f"{obj.kind} {obj.name} ({obj.detail}), which pgevolve does not manage, may stand on "
                           f"{online.name}.{columns}, whose type this plan changes online: the old column is "
                           f"dropped after the swap, and it would go with it (drop it first and create it again "
                           f"afterwards, or raise online_from_rows above the table's rows to change the type in "
                           f"place)")


def _touched(changes: Sequence[Change]) -> Iterator[tuple[str, str | None, str]]:
    """(table, column or None, verb) of each change that drops or retypes something, desired names."""
    for change in changes:
        match change:
            case DropTable(definition=table):
                yield table.name, None, "drops"
            case DropColumn(table=table, column=column):
                yield table, column.name, "drops"
            case AlterColumn(table=table, new=new, changes=what) if ("generated" in what and new.generated
                                                                     or "recomputed" in what):
                yield table, new.name, "drops and adds again"
            case AlterColumn(table=table, new=new, changes=what) if {"type", "collation"} & what:
                yield table, new.name, "changes the type of"
            case ReplaceEnum(columns=columns):
                for table, column in columns:
                    yield table, column.name, "changes the type of"
            case RetypeOnline(tables=tables):
                # The swap renames the column aside and drops it: a dependent would follow the old one.
                for online in tables:
                    for retyped in online.columns:
                        yield online.name, retyped.new.name, "changes the type of (online: swaps in a new column)"


def _actual_names(table: str, column: str | None, actual: model.Database,
                  hints: model.Hints) -> tuple[str, str | None]:
    """The names the catalog (and so the dependency) still uses: renames run in the same plan."""
    old_table = hints.table_renames.get(table)
    source_table = old_table if old_table and actual.table(old_table) and not actual.table(table) else table
    if column is None:
        return source_table, None
    old_column = hints.column_renames.get((table, column))
    found = actual.table(source_table)
    if old_column and found is not None and found.column(old_column) and not found.column(column):
        return source_table, old_column
    return source_table, column


def _depends(obj: UnmanagedObject, table: str, column: str | None) -> bool:
    if column is None:
        if obj.kind in _ON_THE_TABLE and obj.detail == f"on {table}":
            return False
        return any(t == table for t, _ in obj.depends_on)
    return (table, column) in obj.depends_on
