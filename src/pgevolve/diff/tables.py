"""Tables and their columns; constraints and indexes are ``diff.keys``."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    Change,
    ColumnChange,
    CreateIndex,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    RenameConstraint,
    RenameIndex,
    ReplaceIndex,
    ReplaceKey,
    SetComment,
    SetReplicaIdentity,
    SetStorage,
)
from pgevolve.diff.keys import diff_keys
from pgevolve.sqltext.expression_facts import nextval_sequence, referenced_columns, same_but_casts
from pgevolve.sqltext.ident import sequence_name
from pgevolve.sqltext.type_changes import parse_type
from pgevolve.sqltext.type_names import SERIAL_TYPES, canonical_type


def diff_tables(actual: model.Database, desired: model.Database) -> list[Change]:
    """Changes that turn the actual tables into the desired ones (renames already applied to ``actual``)."""
    changes: list[Change] = []
    before, after = _by_name(actual.tables), _by_name(desired.tables)
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            changes.append(CreateTable(definition=new))
        elif new is None and old is not None:
            changes.append(DropTable(definition=old))
        elif old is not None and new is not None:
            changes += diff_table(old, new)
    return _rebuild_foreign_keys(actual, desired, changes)


def _by_name(tables: tuple[model.Table, ...]) -> dict[str, model.Table]:
    """Tables by name, the first of a name as ``Database.table`` finds it (one lookup each, not a scan)."""
    return {t.name: t for t in reversed(tables)}


def diff_table(old: model.Table, new: model.Table) -> list[Change]:
    """Changes within one table that exists on both sides."""
    if old == new:
        return []  # the common case of a no-op plan, decided by one comparison
    columns = _generated_last(_recomputed(old, new, _columns(old, new)))
    recreated = frozenset(c.new.name for c in columns if isinstance(c, AlterColumn) and _recreates(c))
    retyped = frozenset(c.new.name for c in columns if isinstance(c, AlterColumn) and "type" in c.changes
                        and _reparses_alike(c))
    changes = columns + _fold_replaced(_left_to_alter_type(diff_keys(old, new, recreated), retyped))
    changes = _rebuilt_with_column(changes, recreated)
    changes += _storage(old, new) + _replica_identity(old, new, changes)
    if old.comment != new.comment:
        changes.append(SetComment(target="table", table=new.name, name=new.name, comment=new.comment))
    return changes


def _storage(old: model.Table, new: model.Table) -> list[Change]:
    """SET what is new or different, RESET what the YAML no longer lists (parameters it never manages are not
    in the model, so never reset)."""
    before, after = dict(old.storage), dict(new.storage)
    set_ = tuple((name, value) for name, value in new.storage if before.get(name) != value)
    reset = tuple(name for name, _ in old.storage if name not in after)
    return [SetStorage(table=new.name, set=set_, reset=reset)] if set_ or reset else []


def _replica_identity(old: model.Table, new: model.Table, changes: list[Change]) -> list[Change]:
    """A different identity, or the same index built again (a new index is not the identity of the old one)."""
    renamed = {c.old: c.new for c in changes if isinstance(c, RenameIndex | RenameConstraint)}
    index = old.replica_identity_index
    before = (old.replica_identity, renamed.get(index, index) if index else None)
    rebuilt = {name for c in changes for name in _built_index_names(c)}
    if before == (new.replica_identity, new.replica_identity_index) and new.replica_identity_index not in rebuilt:
        return []
    return [SetReplicaIdentity(table=new.name, identity=new.replica_identity, index=new.replica_identity_index)]


def _built_index_names(change: Change) -> tuple[str, ...]:
    match change:
        case CreateIndex(index=index) | ReplaceIndex(new=index):
            return (index.name,)
        case ReplaceKey(new=key) | AddPrimaryKey(key=key) | AddUnique(constraint=key):
            return (key.name,)
        case AlterColumn(indexes=indexes):
            return tuple(index.name for index in indexes)  # rebuilt with a recreated generated column
    return ()


def _columns(old: model.Table, new: model.Table) -> list[Change]:
    changes: list[Change] = []
    for column in new.columns:
        before = old.column(column.name)
        if before is None:
            changes.append(AddColumn(table=new.name, column=column))
            continue
        what = column_changes(before, column, table=new.name)
        if what:
            changes.append(AlterColumn(table=new.name, old=before, new=column, changes=what))
        recreated = "generated" in what and column.generated is not None  # it brings its comment back itself
        if before.comment != column.comment and not recreated:
            changes.append(SetComment(target="column", table=new.name, name=column.name, comment=column.comment))
    changes += [DropColumn(table=new.name, column=c) for c in old.columns if new.column(c.name) is None]
    return changes


def _recreates(change: AlterColumn) -> bool:
    """The column is dropped and added again: a new generation expression, or the same one recomputed."""
    return ("generated" in change.changes and change.new.generated is not None) or "recomputed" in change.changes


def _recomputed(old: model.Table, new: model.Table, columns: list[Change]) -> list[Change]:
    """``columns`` with the generated columns that read a retyped column made again.

    PostgreSQL refuses ALTER COLUMN TYPE (and COLLATE) on a column that a generated column reads
    ("cannot alter type of a column used by a generated column"), whatever the expression: the
    generated column is dropped before the type change and added again after it (``recomputed``),
    even when its expression stays the same.
    """
    retyped = {c.new.name for c in columns if isinstance(c, AlterColumn) and {"type", "collation"} & c.changes}
    if not retyped:
        return columns
    altered = {c.new.name: c for c in columns if isinstance(c, AlterColumn)}
    result = list(columns)
    for column in new.columns:
        before = old.column(column.name)
        if before is None or before.generated is None or column.generated is None:
            continue  # an added column reads the new types; a dropped or plain one is dropped early
        reads = referenced_columns(before.generated)
        change = altered.get(column.name)
        if (reads is not None and not reads & retyped) or (change is not None and _recreates(change)):
            continue
        if change is None:
            result.append(AlterColumn(table=new.name, old=before, new=column, changes=frozenset({"recomputed"})))
        else:
            result[result.index(change)] = replace(change, changes=change.changes | {"recomputed"})
    return result


def _generated_last(columns: list[Change]) -> list[Change]:
    """The column changes that make a generated column (added, or dropped and added again) after the others.

    Its expression reads other columns, so it is made once they are added or have their new types (the
    planner orders a phase's steps by their change's place); before the index and constraint changes,
    which may use it.
    """
    def makes_generated(change: Change) -> bool:
        match change:
            case AddColumn(column=column):
                return column.generated is not None
            case AlterColumn():
                return _recreates(change)
        return False

    return [c for c in columns if not makes_generated(c)] + [c for c in columns if makes_generated(c)]


def column_changes(old: model.Column, new: model.Column, *, table: str | None = None) -> frozenset[ColumnChange]:
    """What differs between two versions of a column (comments aside)."""
    a, b = _effective(old), _effective(new)
    own = sequence_name(table, new.name) if table is not None else None
    differs: dict[ColumnChange, bool] = {
        "type": canonical_type(a.type) != canonical_type(b.type),
        "nullable": a.nullable != b.nullable,
        "default": not _same_default(a.default, b.default, own),
        "identity": a.identity != b.identity,
        "generated": a.generated != b.generated,
        "collation": a.collation != b.collation,
    }
    return frozenset(name for name, changed in differs.items() if changed)


def _effective(column: model.Column) -> model.Column:
    """A ``serial`` column as the catalog shows it: integer, NOT NULL, default nextval(its sequence)."""
    base = SERIAL_TYPES.get(column.type.lower())
    if base is None:
        return column
    return replace(column, type=base, nullable=False, default=_SERIAL_DEFAULT)


# What _effective gives a serial column's default: its own sequence, whatever the sequence's name.
_SERIAL_DEFAULT = "nextval(<its own sequence>)"


def _same_default(old: str | None, new: str | None, own: str | None = None) -> bool:
    # A serial column's sequence keeps its name when the table or column is renamed: a serial
    # matches a nextval() default of another name. Under the serial's own name, the catalog reader
    # would have said serial had the column owned it: that one is standalone, and the serial takes
    # it over. Two nextval() defaults of named sequences are compared as text: drawing from another
    # sequence is another default (issue 11 item 6).
    if old == new:
        return True
    if _SERIAL_DEFAULT not in (old, new):
        return False
    sequence = nextval_sequence(new if old == _SERIAL_DEFAULT else old)
    return sequence is not None and sequence.rsplit(".", 1)[-1].strip('"') != own


# Types between which a definition re-parsed by ALTER COLUMN TYPE loses its casts as the desired one
# does: `lower((email)::text)` on varchar becomes `lower(email)` on text. Between others the old
# text's casts stay and change its meaning: `(b * 2::numeric)` re-parsed on a bigint column is
# `(b::numeric * 2::numeric)`, never the desired `(b * 2)`, so such an index is rebuilt instead.
_REPARSED_ALIKE = ("text", "character varying")


def _reparses_alike(change: AlterColumn) -> bool:
    old, new = parse_type(change.old.type), parse_type(change.new.type)
    return (old.base in _REPARSED_ALIKE and new.base in _REPARSED_ALIKE
            and old.array_dims == new.array_dims == 0)


def _left_to_alter_type(changes: list[Change], retyped: frozenset[str]) -> list[Change]:
    """Drop the drop + add pairs (and index replacements) of indexes and CHECKs that ALTER COLUMN TYPE
    rebuilds by itself.

    PostgreSQL rebuilds every index and CHECK on a retyped column from its definition,
    re-parsed against the new type; when the desired definition differs from the actual one
    only in casts, that rebuild is the desired one, and a separate drop + CONCURRENTLY rebuild
    would only leave the table without the index (or its uniqueness) for the whole build.
    """
    if not retyped:
        return changes
    dropped: dict[str, model.Index | model.CheckConstraint] = {}
    for change in changes:
        if isinstance(change, DropIndex):
            dropped[f"index {change.index.name}"] = change.index
        elif isinstance(change, DropCheck):
            dropped[f"check {change.check.name}"] = change.check
    kept: set[str] = set()
    new: model.Index | model.CheckConstraint
    for change in changes:
        if isinstance(change, CreateIndex):
            key, new = f"index {change.index.name}", change.index
        elif isinstance(change, AddCheck):
            key, new = f"check {change.check.name}", change.check
        else:
            continue
        old = dropped.get(key)
        if old is not None and _rebuilt_alike(old, new, retyped):
            kept.add(key)
    return [c for c in changes if _pair_key(c) not in kept
            and not (isinstance(c, ReplaceIndex) and not c.foreign_keys and _rebuilt_alike(c.old, c.new, retyped))]


def _rebuilt_with_column(changes: list[Change], recreated: frozenset[str]) -> list[Change]:
    """Indexes on a column dropped and added again go with it: DROP COLUMN drops the old ones, and the
    new ones are built in the same transaction (no separate CONCURRENTLY drop and build around it,
    which would leave the table without them in between)."""
    if not recreated:
        return changes
    rebuilt: dict[str, list[model.Index]] = {}
    result: list[Change] = []
    for change in changes:
        match change:
            case DropIndex(index=index) if _on(index, recreated):
                continue
            case CreateIndex(index=index) if _on(index, recreated):
                rebuilt.setdefault(sorted(_on(index, recreated))[-1], []).append(index)
                continue
        result.append(change)
    return [replace(c, indexes=tuple(rebuilt.get(c.new.name, ()))) if isinstance(c, AlterColumn) else c
            for c in result]


def _on(index: model.Index, columns: frozenset[str]) -> frozenset[str]:
    """The columns of ``columns`` that the index uses (all of them when an expression cannot be read)."""
    used = {k.column for k in index.keys if k.column} | set(index.include)
    for text in [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else []):
        found = referenced_columns(text)
        used |= found if found is not None else set(columns)
    return frozenset(used) & columns


def _fold_replaced(changes: list[Change]) -> list[Change]:
    """A CHECK or foreign key dropped and added again is one change: the add carries the drop
    (``replaces``), so the planner puts both in one transaction and no moment lacks either.

    A foreign key is paired by its name, else by what it links (the same columns to the same
    referenced columns): a renamed table gives it a new default name, and it is still the same
    guarantee that must not lapse between a drop early in the plan and the add at its end.
    """
    drops = [c for c in changes if isinstance(c, DropForeignKey)]
    paired: dict[int, DropForeignKey] = {}
    for add in (c for c in changes if isinstance(c, AddForeignKey) and c.replaces is None):
        free = [d for d in drops if d.table == add.table and d not in paired.values()]
        found = next((d for d in free if d.foreign_key.name == add.foreign_key.name), None) or next(
            (d for d in free if _same_link(d.foreign_key, add.foreign_key)), None)
        if found is not None:
            paired[id(add)] = found
    folded = {id(d) for d in paired.values()}
    replaced_checks = {c.replaces.name for c in changes if isinstance(c, AddCheck) and c.replaces is not None}
    result: list[Change] = []
    for change in changes:
        match change:
            case DropCheck(check=check) if check.name in replaced_checks:
                continue
            case DropForeignKey() if id(change) in folded:
                continue
            case AddForeignKey() if id(change) in paired:
                result.append(replace(change, replaces=paired[id(change)].foreign_key))
            case _:
                result.append(change)
    return result


def _same_link(old: model.ForeignKey, new: model.ForeignKey) -> bool:
    return (old.columns, old.ref_schema, old.ref_table, old.ref_columns) == (
        new.columns, new.ref_schema, new.ref_table, new.ref_columns)


def _pair_key(change: Change) -> str | None:
    match change:
        case DropIndex(index=index) | CreateIndex(index=index):
            return f"index {index.name}"
        case DropCheck(check=check) | AddCheck(check=check):
            return f"check {check.name}"
    return None


def _rebuilt_alike(old: model.Index | model.CheckConstraint, new: model.Index | model.CheckConstraint,
                   retyped: frozenset[str]) -> bool:
    """True when ALTER COLUMN TYPE turns ``old`` into ``new``: on a column retyped between string types
    (``retyped``), equal but for casts."""
    (old_frame, old_texts), (new_frame, new_texts) = _frame(old), _frame(new)
    if not old.valid or old_frame != new_frame:
        return False
    columns = set(getattr(old, "include", ())) | {k.column for k in getattr(old, "keys", ()) if k.column}
    for text in old_texts:
        found = referenced_columns(text) if text else frozenset()
        columns |= found if found is not None else {"*"}
    if "*" in columns or not columns & retyped:
        return False
    return all(same_but_casts(a, b) for a, b in zip(old_texts, new_texts, strict=True))


def _frame(item: model.Index | model.CheckConstraint) -> tuple[object, tuple[str | None, ...]]:
    """The item with its expressions blanked, and those expressions."""
    if isinstance(item, model.CheckConstraint):
        return replace(item, expression=""), (item.expression,)
    keys = tuple(replace(k, expression=None) for k in item.keys)
    return replace(item, keys=keys, where=None), (item.where, *(k.expression for k in item.keys))


def _rebuild_foreign_keys(actual: model.Database, desired: model.Database, changes: list[Change]) -> list[Change]:
    """Foreign keys that stand on a key being dropped or swapped: PostgreSQL refuses the drop while they exist.

    Dropped with a key: dropped first and added again after (NOT VALID, then
    VALIDATE). Standing on a swapped key: dropped in the swap's own short
    transaction (so new rows stay checked during the index build), added again
    NOT VALID right after it.
    """
    standing = _standing_on(actual, desired, changes)
    if not standing:
        return changes
    result: list[Change] = []
    rebuilt: list[Change] = []
    done: set[tuple[str, str]] = set()
    for change in changes:
        key = _dropped_key(change)
        fks = [(t, fk, again) for t, fk, again in standing.get(key, []) if (t, fk.name) not in done] if key else []
        done |= {(t, fk.name) for t, fk, _ in fks}
        if fks and isinstance(change, ReplaceKey | ReplaceIndex):
            change = replace(change, foreign_keys=tuple((t, fk) for t, fk, _ in fks))
        else:
            rebuilt += [DropForeignKey(table=t, foreign_key=fk) for t, fk, _ in fks]
        rebuilt += [AddForeignKey(table=t, foreign_key=again) for t, _, again in fks]
        result.append(change)
    return result + rebuilt


StandingOn = dict[tuple[str, frozenset[str]], list[tuple[str, model.ForeignKey, model.ForeignKey]]]


def _standing_on(actual: model.Database, desired: model.Database, changes: list[Change]) -> StandingOn:
    """(table, fk, desired fk) of the foreign keys kept in the YAML, by the (table, columns) they reference."""
    dropped = {key for change in changes if (key := _dropped_key(change))}
    if not dropped:
        return {}
    handled = {(c.table, c.foreign_key.name) for c in changes if isinstance(c, DropForeignKey)}
    handled |= {(c.table, c.replaces.name) for c in changes if isinstance(c, AddForeignKey) and c.replaces}
    found: StandingOn = {}
    for table in model.sort_by_name(actual.tables):
        wanted = desired.table(table.name)
        for fk in model.sort_by_name(table.foreign_keys):
            target = (fk.ref_table, frozenset(fk.ref_columns))
            if wanted is None or (table.name, fk.name) in handled or fk.ref_schema not in (None, actual.schema):
                continue
            again = next((f for f in wanted.foreign_keys if f.name == fk.name), None)
            if target in dropped and again is not None:
                found.setdefault(target, []).append((table.name, fk, again))
    return found


def _dropped_key(change: Change) -> tuple[str, frozenset[str]] | None:
    """(table, columns) of a unique key the change drops, that a foreign key could stand on."""
    match change:
        case DropPrimaryKey(table=table, key=key) | ReplaceKey(table=table, old=key):
            return table, frozenset(key.columns)
        case DropUnique(table=table, constraint=unique):
            return table, frozenset(unique.columns)
        case DropIndex(table=table, index=index) | ReplaceIndex(table=table, old=index) if _plain_unique(index):
            return table, frozenset(k.column for k in index.keys if k.column)
    return None


def _plain_unique(index: model.Index) -> bool:
    return index.unique and not index.where and all(k.column for k in index.keys)
