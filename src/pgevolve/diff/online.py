"""Which type changes run online, and what an interrupted one left to do.

The differ first gives one AlterColumn per changed column. A type change that rewrites the table
(``sqltext.type_changes``: anything but a binary-coercible change, and any ``using:``) holds an
ACCESS EXCLUSIVE lock for the whole rewrite when made in place: on a big table every reader and
writer waits. Those changes are decided here, in groups: columns linked by a foreign key (a
retyped key and a retyped column that references it) are swapped in one transaction, so they go
the same way. A group goes online (``RetypeOnline``) when one of its tables has at least
``online_from_rows`` rows (``pg_class.reltuples``), or when an interrupted apply left a shadow
column for one of its columns: a started online change is finished online whatever the size.
Otherwise each AlterColumn stays, and says why it runs in place.

The online change takes over the differ's changes to what it rebuilds (``absorbed``): the keys,
indexes and CHECKs on a retyped column are built again on its shadow, and the foreign keys on it
(either side) are dropped and added again in the swap. What an interrupted apply left is resumed
(``OnlineColumn.progress``), cleaned up when the YAML no longer asks for it (``AbandonShadow``),
or finished (``DropRetiredColumn``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from pgevolve import model
from pgevolve.changes import (
    AbandonShadow,
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterForeignKey,
    Change,
    CreateIndex,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropRetiredColumn,
    DropUnique,
    OnlineColumn,
    OnlineTable,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    ReplaceIndex,
    ReplaceKey,
    RetypeOnline,
    SetComment,
    SetReplicaIdentity,
    ValidateConstraint,
)
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.ident import shadow_column_name
from pgevolve.sqltext.type_changes import Conversion, conversion
from pgevolve.sqltext.type_names import SERIAL_TYPES, canonical_type

__all__ = ["online_changes", "rewrites", "plain_type"]

Key = model.PrimaryKey | model.UniqueConstraint


def online_changes(changes: list[Change], actual: model.Database, desired: model.Database,
                   hints: model.Hints) -> list[Change]:
    """``changes`` with ``using:`` on their type changes, rewriting groups decided, leftovers handled."""
    changes = [_with_using(c, hints) for c in changes]
    moved = _renamed_tables(changes)
    shadows = {(s.table, s.column): s for s in actual.shadows if s.table not in moved and s.shadow}
    used: set[tuple[str, str]] = set()
    for group in _groups([c for c in changes if isinstance(c, AlterColumn) and rewrites(c)], actual, desired):
        progress = {(c.table, c.new.name): s for c in group
                    if (s := shadows.get((c.table, c.new.name))) is not None and _resumes(s, c)}
        refusal = _refusal(group, actual, changes)
        rows = max((_rows(actual, c.table) for c in group), default=0)
        if refusal is None and (progress or rows >= hints.online_from_rows):
            used |= set(progress)
            changes = _go_online(group, progress, actual, desired, changes, hints.online_from_rows)
        else:
            notes = {id(c): _in_place_note(c, group, actual, refusal, hints.online_from_rows) for c in group}
            changes = [replace(c, in_place=notes[id(c)]) if isinstance(c, AlterColumn) and id(c) in notes else c
                       for c in changes]
    leftovers: list[Change] = [AbandonShadow(shadow=s) for s in actual.shadows if (s.table, s.column) not in used]
    leftovers += [DropRetiredColumn(column=r) for r in actual.retired_columns]
    return leftovers + changes


def plain_type(text: str) -> str:
    """A serial spelling as its integer type: the type a column (and so its shadow) really has."""
    return SERIAL_TYPES.get(text.lower(), text)


def rewrites(change: AlterColumn) -> bool:
    """A type change that rewrites every row in place (not binary-coercible, or converted by ``using:``)."""
    if "type" not in change.changes:
        return False
    if change.using is not None:
        return True
    return conversion(plain_type(change.old.type), plain_type(change.new.type)) is not Conversion.COERCIBLE


def _with_using(change: Change, hints: model.Hints) -> Change:
    if isinstance(change, AlterColumn) and "type" in change.changes:
        using = hints.conversions.get((change.table, change.new.name))
        return replace(change, using=using) if using is not None else change
    return change


def _renamed_tables(changes: list[Change]) -> set[str]:
    """Tables (by their live names) that this plan renames or whose columns it renames: a sync trigger's
    function names columns, so an online change in progress there is started again rather than resumed."""
    found: set[str] = set()
    for change in changes:
        if isinstance(change, RenameTable):
            found.add(change.old)
        elif isinstance(change, RenameColumn):
            found.add(change.table)
    return found


def _resumes(shadow: model.ShadowColumn, change: AlterColumn) -> bool:
    return (canonical_type(shadow.type) == canonical_type(plain_type(change.new.type))
            and shadow.using == change.using)


def _rows(actual: model.Database, table: str) -> int:
    found = actual.table(table)
    return found.row_count.rows if found is not None and found.row_count is not None else 0


def _size_text(actual: model.Database, table: str) -> str:
    """'`t` has about 1,200 rows', '`t` has at most about 300 rows (never analyzed: ...)', '`t` is empty'."""
    found = actual.table(table)
    count = found.row_count if found is not None else None
    if count is None:  # a model not read from a catalog
        return f"no size is known for `{table}`"
    rows = count.rows
    if count.source == "size":
        if rows == 0:
            return f"`{table}` is empty"
        return f"`{table}` has at most about {rows:,} rows (never analyzed: bounded by its size)"
    return f"`{table}` has about {rows:,} row{'s' * (rows != 1)}"


# -- groups -----------------------------------------------------------------------------------

def _groups(candidates: list[AlterColumn], actual: model.Database,
            desired: model.Database) -> list[list[AlterColumn]]:
    """Candidates of one table, or linked by a foreign key (live or desired) from one retyped column to another."""
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    where = {(c.table, c.new.name): i for i, c in enumerate(candidates)}
    first_of: dict[str, int] = {}
    for i, change in enumerate(candidates):  # a table's retyped columns share its indexes, and one swap
        parent[root(i)] = root(first_of.setdefault(change.table, i))
    for table, fk in _all_foreign_keys(actual, desired):
        if fk.ref_schema not in (None, actual.schema):
            continue
        for column, ref in zip(fk.columns, fk.ref_columns, strict=True):
            a, b = where.get((table, column)), where.get((fk.ref_table, ref))
            if a is not None and b is not None:
                parent[root(a)] = root(b)
    groups: dict[int, list[AlterColumn]] = {}
    for i, change in enumerate(candidates):
        groups.setdefault(root(i), []).append(change)
    return list(groups.values())


def _all_foreign_keys(*dbs: model.Database) -> Iterable[tuple[str, model.ForeignKey]]:
    for db in dbs:
        for table in db.tables:
            for fk in table.foreign_keys:
                yield table.name, fk


def _refusal(group: list[AlterColumn], actual: model.Database, changes: list[Change]) -> str | None:
    """Why the online shape cannot make this group's changes (None: it can)."""
    for change in group:
        reason = _column_refusal(change, actual)
        if reason is not None:
            return f"`{change.table}.{change.new.name}` {reason}"
    swapped = {(t, fk.name) for c in changes if isinstance(c, ReplaceKey | ReplaceIndex) for t, fk in c.foreign_keys}
    columns = {(c.table, c.new.name) for c in group}
    for table, fk in _all_foreign_keys(actual):
        if (table, fk.name) in swapped and _fk_touches(table, fk, columns):
            return f"foreign key `{fk.name}` also stands on a key this plan replaces"
    return None


def _column_refusal(change: AlterColumn, actual: model.Database) -> str | None:
    old, new = change.old, change.new
    if old.generated or new.generated:
        return "is a generated column (PostgreSQL computes it)"
    serial_old, serial_new = old.type.lower() in SERIAL_TYPES, new.type.lower() in SERIAL_TYPES
    if (old.identity and serial_new) or (serial_old and new.identity):
        return "also changes between serial and identity"
    if actual.sync_trigger(change.table, old.name) is not None:
        return "is filled from a JSON key (promoted_from) by a trigger of its own"
    table = actual.table(change.table)
    for other in table.columns if table is not None else ():
        found = referenced_columns(other.generated) if other.generated else frozenset()
        if found is None or old.name in found:
            return f"is read by the generated column `{other.name}`"
    return None


def _in_place_note(change: AlterColumn, group: list[AlterColumn], actual: model.Database, refusal: str | None,
                   threshold: int) -> str:
    tables = sorted({c.table for c in group}, key=lambda t: (-_rows(actual, t), t))
    largest, rows = tables[0], _rows(actual, tables[0])
    where = _size_text(actual, largest)
    if len(tables) > 1:
        where += f" (the largest of {_names(sorted(tables))}, changed together: a foreign key links them)"
    if refusal is not None and rows >= threshold:
        return (f"In place although {where} (online from {threshold:,} rows, online_from_rows): {refusal}, which "
                "the online shape (shadow column, backfill, swap) does not handle.")
    return (f"In place: {where}, under online_from_rows ({threshold:,}): one rewrite under the lock is quicker "
            "there than a shadow column, a backfill and a swap.")


def _names(tables: list[str]) -> str:
    return ", ".join(f"`{t}`" for t in tables)


# -- the online change ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Touched:
    """What the online change rebuilds, by name, to take the differ's changes about them away."""

    columns: frozenset[tuple[str, str]]
    indexes: frozenset[tuple[str, str]]  # (table, name): indexes, and keys by their index's name
    constraints: frozenset[tuple[str, str]]  # (table, name): keys, CHECKs, foreign keys


def _go_online(group: list[AlterColumn], progress: dict[tuple[str, str], model.ShadowColumn],
               actual: model.Database, desired: model.Database, changes: list[Change],
               threshold: int) -> list[Change]:
    by_table: dict[str, list[AlterColumn]] = {}
    for change in group:
        by_table.setdefault(change.table, []).append(change)
    tables = tuple(_online_table(name, by_table[name], progress, actual, desired) for name in sorted(by_table))
    retyped = {(t.name, c.new.name) for t in tables for c in t.columns}
    foreign_keys = _foreign_keys(tables, retyped, actual, desired)
    touched = _touched(tables, foreign_keys)
    absorbed = [c for c in changes if _absorbs(touched, c)]
    online = RetypeOnline(tables=tables, foreign_keys=foreign_keys, absorbed=tuple(absorbed),
                          online_from_rows=threshold)
    taken = {id(c) for c in absorbed}
    first = min(i for i, c in enumerate(changes) if id(c) in taken)
    kept = [c for c in changes if id(c) not in taken]
    return [*kept[:first], online, *kept[first:]]


def _online_table(name: str, group: list[AlterColumn], progress: dict[tuple[str, str], model.ShadowColumn],
                  actual: model.Database, desired: model.Database) -> OnlineTable:
    live, wanted = actual.table(name), desired.table(name)
    assert live is not None and wanted is not None, f"an online type change on {name}, which is not on both sides"
    retyped = frozenset(c.new.name for c in group)
    columns = tuple(OnlineColumn(table=name, old=c.old, new=c.new, shadow=shadow_column_name(c.new.name),
                                 using=c.using, progress=progress.get((name, c.new.name)), lossy=_lossy(c))
                    for c in sorted(group, key=lambda c: c.new.name))
    old_checks, new_checks = _closure(live.checks, wanted.checks, retyped)
    old_indexes, new_indexes = _closure(live.indexes, wanted.indexes, retyped)
    old_uniques, new_uniques = _closure(live.uniques, wanted.uniques, retyped)
    keyed = any(k is not None and set(k.columns) & retyped for k in (live.primary_key, wanted.primary_key))
    keys = live.primary_key.columns if live.primary_key else ()
    return OnlineTable(
        name=name, columns=columns, rows=live.row_count, key_columns=keys,
        key_types=tuple(plain_type(c.type) if (c := live.column(k)) else "text" for k in keys),
        old_primary_key=live.primary_key if keyed else None, new_primary_key=wanted.primary_key if keyed else None,
        old_uniques=old_uniques, new_uniques=new_uniques, old_indexes=old_indexes, new_indexes=new_indexes,
        old_checks=old_checks, new_checks=new_checks,
    )


def _lossy(change: AlterColumn) -> bool:
    how = conversion(plain_type(change.old.type), plain_type(change.new.type))
    return how in (Conversion.ASSIGNMENT, Conversion.ROUNDING)


def _closure(live: tuple[model.Index, ...] | tuple[model.CheckConstraint, ...] | tuple[model.UniqueConstraint, ...],
             wanted: tuple[model.Index, ...] | tuple[model.CheckConstraint, ...] | tuple[model.UniqueConstraint, ...],
             retyped: frozenset[str]) -> tuple:  # type: ignore[type-arg]
    """Those on a retyped column, on either side, and those that share a name with one of them."""
    names = {i.name for i in (*live, *wanted) if _columns_of(i) & retyped or "*" in _columns_of(i)}
    return (tuple(i for i in live if i.name in names), tuple(i for i in wanted if i.name in names))


def _columns_of(item: object) -> frozenset[str]:
    if isinstance(item, model.CheckConstraint):
        found = referenced_columns(item.expression)
        return found if found is not None else frozenset({"*"})
    if isinstance(item, model.Index):
        names = {k.column for k in item.keys if k.column} | set(item.include)
        for text in [k.expression for k in item.keys if k.expression] + ([item.where] if item.where else []):
            found = referenced_columns(text)
            names |= found if found is not None else {"*"}
        return frozenset(names)
    return frozenset(getattr(item, "columns", ()))


def _fk_touches(table: str, fk: model.ForeignKey, columns: set[tuple[str, str]] | frozenset[tuple[str, str]],
                keys: Iterable[tuple[str, frozenset[str]]] = ()) -> bool:
    """The foreign key has a retyped column on either side, or references a key the swap drops."""
    if any((table, c) in columns for c in fk.columns):
        return True
    if fk.ref_schema is not None:
        return False
    return (any((fk.ref_table, c) in columns for c in fk.ref_columns)
            or (fk.ref_table, frozenset(fk.ref_columns)) in set(keys))


def _foreign_keys(tables: tuple[OnlineTable, ...], retyped: set[tuple[str, str]], actual: model.Database,
                  desired: model.Database) -> tuple[tuple[str, model.ForeignKey | None, model.ForeignKey | None], ...]:
    """(table, live, desired) of every foreign key the swap must unhook and hook again."""
    dropped_keys = [(t.name, frozenset(k.columns)) for t in tables
                    for k in (t.old_primary_key, *t.old_uniques) if k is not None]
    dropped_keys += [(t.name, frozenset(k.column for k in i.keys if k.column)) for t in tables
                     for i in t.old_indexes if i.unique]
    found: dict[tuple[str, str], list[model.ForeignKey | None]] = {}
    for side, db in enumerate((actual, desired)):
        for table, fk in _all_foreign_keys(db):
            if actual.table(table) is None or desired.table(table) is None:
                continue  # a table created or dropped by this plan brings or takes its foreign keys itself
            if _fk_touches(table, fk, retyped, dropped_keys):
                found.setdefault((table, fk.name), [None, None])[side] = fk
    for (table, name), pair in list(found.items()):  # the other side of the same name, touched or not
        for side, db in enumerate((actual, desired)):
            if pair[side] is None and (t := db.table(table)) is not None:
                pair[side] = next((f for f in t.foreign_keys if f.name == name), None)
    return tuple((table, pair[0], pair[1]) for (table, name), pair in sorted(found.items()))


def _touched(tables: tuple[OnlineTable, ...],
             foreign_keys: tuple[tuple[str, model.ForeignKey | None, model.ForeignKey | None], ...]) -> _Touched:
    columns, indexes, constraints = set(), set(), set()
    for t in tables:
        columns |= {(t.name, c.new.name) for c in t.columns}
        keys: list[Key] = [k for k in (t.old_primary_key, t.new_primary_key) if k is not None]
        keys += [*t.old_uniques, *t.new_uniques]
        indexes |= {(t.name, i.name) for i in (*t.old_indexes, *t.new_indexes)} | {(t.name, k.name) for k in keys}
        constraints |= {(t.name, k.name) for k in keys} | {(t.name, c.name) for c in (*t.old_checks, *t.new_checks)}
    for table, live, wanted in foreign_keys:
        constraints |= {(table, fk.name) for fk in (live, wanted) if fk is not None}
    return _Touched(frozenset(columns), frozenset(indexes), frozenset(constraints))


def _absorbs(touched: _Touched, change: Change) -> bool:
    """True when the online change makes ``change`` itself (or makes it moot)."""
    match change:
        case AlterColumn(table=table, new=new):
            return (table, new.name) in touched.columns
        case SetComment(target="column", table=table, name=name):
            return (table or "", name) in touched.columns
        case SetComment(target="index", table=table, name=name):
            return (table or "", name) in touched.indexes
        case CreateIndex(table=table, index=index) | DropIndex(table=table, index=index):
            return (table, index.name) in touched.indexes
        case ReplaceIndex(table=table, new=index):
            return (table, index.name) in touched.indexes
        case RenameIndex(table=table, old=old, new=new):
            return (table, old) in touched.indexes or (table, new) in touched.indexes
        case AddPrimaryKey(table=table, key=key) | DropPrimaryKey(table=table, key=key) | ReplaceKey(
                table=table, new=key):
            return (table, key.name) in touched.constraints
        case AddUnique(table=table, constraint=key) | DropUnique(table=table, constraint=key):
            return (table, key.name) in touched.constraints
        case AddCheck(table=table, check=item) | DropCheck(table=table, check=item):
            return (table, item.name) in touched.constraints
        case (AddForeignKey(table=table, foreign_key=item) | DropForeignKey(table=table, foreign_key=item)
              | AlterForeignKey(table=table, new=item)):
            return (table, item.name) in touched.constraints
        case ValidateConstraint(table=table, constraint=item):
            return (table, item.name) in touched.constraints
        case RenameConstraint(table=table, old=old, new=new):
            return (table, old) in touched.constraints or (table, new) in touched.constraints
        case SetReplicaIdentity(table=table, identity="index", index=index):
            return (table, index or "") in touched.indexes  # set on the rebuilt index in the swap
    return False
