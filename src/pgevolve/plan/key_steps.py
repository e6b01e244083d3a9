"""Steps for constraints and indexes on tables that already exist: the online forms."""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    ColumnChange,
    CreateIndex,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    RenameConstraint,
    RenameIndex,
    ValidateConstraint,
)
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.ident import make_object_name
from pgevolve.sqltext.implication import check_implies

CONCURRENT_INDEX = (
    "Built CONCURRENTLY: reads and writes go on; a failed build leaves an INVALID index that the next plan rebuilds."
)
UNIQUE_INDEX = "Built CONCURRENTLY (reads and writes go on); fails if the columns hold duplicate values."
VALIDATE = "Scans the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); fails if {}."
DROP_CONSTRAINT = "A brief ACCESS EXCLUSIVE lock; no row is touched."
RENAME = "A brief ACCESS EXCLUSIVE lock; nothing else changes."
# ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE on the index alone (PostgreSQL 12+): reads and writes go on.
RENAME_INDEX = "Catalog-only: a SHARE UPDATE EXCLUSIVE lock on the index alone; reads and writes go on."


def add_key(change: AddPrimaryKey | AddUnique, ctx: Context) -> list[Step]:
    """CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX: no long lock."""
    key = change.key if isinstance(change, AddPrimaryKey) else change.constraint
    table, obj = change.table, f"{change.table}.{key.name}"
    rel = (ctx.relation(table), ctx.relation(key.name))
    kind = StepKind.ADD_PRIMARY_KEY if isinstance(change, AddPrimaryKey) else StepKind.ADD_UNIQUE
    if change.using_index is not None:
        existing = change.using_index
        renamed = f" (PostgreSQL renames it `{key.name}`)" if existing != key.name else ""
        return [draft(Phase.KEYS, kind, obj, ddl.add_key_using_index(table, key, ctx.scope, existing), Hazard.SAFE,
                      f"Attaches the existing unique index `{existing}`{renamed}, which has exactly the constraint's "
                      "definition: a brief ACCESS EXCLUSIVE lock, no scan, nothing rebuilt.",
                      relations=(ctx.relation(table), ctx.relation(existing)))]
    index_sql = ddl.create_index(table, model.key_index(key), ctx.scope, concurrently=True)
    return [
        draft(Phase.INDEXES, StepKind.CREATE_INDEX_CONCURRENTLY, obj, index_sql, Hazard.DATA, UNIQUE_INDEX,
              transactional=False, relations=rel),
        draft(Phase.KEYS, kind, obj, ddl.add_key_using_index(table, key, ctx.scope), Hazard.SAFE,
              "Attaches the unique index built above as the constraint: a brief ACCESS EXCLUSIVE lock, no scan.",
              relations=rel),
    ]


LOOSENED = ("Scans the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on) to mark the new CHECK "
            "valid, as PostgreSQL requires; it cannot fail: the new CHECK is implied by the one it replaces, "
            "which every row satisfied.")


REPLACED_DROPPED = ("A brief ACCESS EXCLUSIVE lock, in the transaction that adds the new version below: no "
                    "moment is without one of them.")


def add_check(change: AddCheck, ctx: Context) -> list[Step]:
    steps = _not_valid_then_validate(change.table, change.check, ctx)
    if change.replaces is None:
        return steps
    # Dropped in the transaction that adds the new version: right before it, unless an ALTER COLUMN
    # of this plan retypes or recreates a column it names (PostgreSQL would re-parse the old CHECK
    # against the new type): then at the start of that transaction (nothing runs outside one between).
    table, name = change.table, change.replaces.name
    early = _changes_under(table, referenced_columns(change.replaces.expression), ctx)
    if is_loosening(change) and not early:  # values that change under it prove nothing
        steps[-1] = replace(steps[-1], hazard=Hazard.SAFE, reason=LOOSENED)
    tag = f"replace {table}.{name}"
    drop = draft(Phase.UNHOOK if early else Phase.CHECKS, StepKind.DROP_CONSTRAINT, f"{table}.{name}",
                 ddl.drop_constraint(table, name, ctx.scope), Hazard.SAFE, REPLACED_DROPPED,
                 relations=(ctx.relation(table),), together=tag)
    return [drop, replace(steps[0], together=tag), *steps[1:]]


# What makes PostgreSQL re-parse a CHECK against the column's new definition (ALTER COLUMN TYPE,
# COLLATE) or drop it with the column (a generated column dropped and added again).
_REBUILT_UNDER: frozenset[ColumnChange] = frozenset({"type", "collation", "generated", "recomputed"})


def _changes_under(table: str, columns: frozenset[str] | None, ctx: Context) -> bool:
    """True when an ALTER COLUMN of this plan retypes, recollates or recreates one of ``columns`` of
    ``table`` (or the columns cannot be told: any of the table). The CHECK names its columns as the
    plan leaves them (renames applied), as the plan's AlterColumns do."""
    return any(_REBUILT_UNDER & c.changes for c in ctx.alterations(table, columns))


def is_loosening(change: AddCheck) -> bool:
    """The CHECK replaces a valid one of the same name that implies it: validating it cannot fail."""
    old = change.replaces
    return old is not None and old.valid and check_implies(old.expression, change.check.expression)


def add_foreign_key(change: AddForeignKey, ctx: Context) -> list[Step]:
    steps = _not_valid_then_validate(change.table, change.foreign_key, ctx)
    old = change.replaces
    if old is None:
        return steps
    # Dropped right before the new version is added, in its transaction, when nothing in between
    # needs it gone; else first, as any foreign key (its referenced key is dropped or swapped, a
    # column it joins is retyped): the window then spans the plan, as with a key it stands on.
    late = _foreign_key_can_wait(change.table, old, ctx) and _foreign_key_can_wait(change.table,
                                                                                     change.foreign_key, ctx)
    tag = f"replace {change.table}.{old.name}" if late else None
    rel = (ctx.relation(change.table), ctx.relation(old.ref_table))
    drop = draft(Phase.FOREIGN_KEYS if late else Phase.DROP_FOREIGN_KEYS, StepKind.DROP_FOREIGN_KEY,
                 f"{change.table}.{old.name}", ddl.drop_constraint(change.table, old.name, ctx.scope), Hazard.SAFE,
                 REPLACED_DROPPED if late else DROP_CONSTRAINT, relations=rel, together=tag)
    return [drop, replace(steps[0], together=tag), *steps[1:]]


def _foreign_key_can_wait(table: str, fk: model.ForeignKey, ctx: Context) -> bool:
    """No column it joins changes under an ALTER COLUMN, and its referenced table keeps its keys (a
    referenced table that goes is dropped at the end of the plan, after the new version is added)."""
    if _changes_under(table, frozenset(fk.columns), ctx):
        return False
    if fk.ref_schema not in (None, ctx.scope.schema):
        return True
    old, new = ctx.actual_table(fk.ref_table), ctx.desired.table(fk.ref_table)
    if old is None or new is None:
        return True
    # PostgreSQL ties a foreign key to a unique index on exactly its referenced columns: those keys stay.
    return (_keys_on(old, fk.ref_columns) <= _keys_on(new, fk.ref_columns)
            and not _changes_under(fk.ref_table, frozenset(fk.ref_columns), ctx))


def _keys_on(table: model.Table, columns: tuple[str, ...]) -> set[object]:
    """The primary key, UNIQUE constraints and plain unique indexes of ``table`` on exactly ``columns``,
    by definition (a key renamed along with its table is the same key)."""
    wanted = frozenset(columns)
    keys: set[object] = {replace(k, name="") for k in (table.primary_key, *table.uniques)
                         if k and frozenset(k.columns) == wanted}
    keys |= {replace(i, name="") for i in table.indexes if i.unique and not i.where and all(k.column for k in i.keys)
             and frozenset(k.column for k in i.keys) == wanted}
    return keys


def _not_valid_then_validate(table: str, constraint: model.CheckConstraint | model.ForeignKey,
                             ctx: Context) -> list[Step]:
    """ADD ... NOT VALID (brief lock, new rows checked from now on), VALIDATE later in its own transaction."""
    is_fk = isinstance(constraint, model.ForeignKey)
    phase, kind = ((Phase.FOREIGN_KEYS, StepKind.ADD_FOREIGN_KEY_NOT_VALID) if is_fk
                   else (Phase.CHECKS, StepKind.ADD_CHECK_NOT_VALID))
    lock = "SHARE ROW EXCLUSIVE lock on both tables" if is_fk else "ACCESS EXCLUSIVE lock"
    rel = _relations(table, constraint, ctx)
    declared = not constraint.valid  # not_valid: true in the YAML: existing rows stay unchecked
    add = draft(phase, kind, f"{table}.{constraint.name}",
                ddl.add_constraint(table, constraint, ctx.scope, not_valid=True), Hazard.SAFE,
                f"NOT VALID skips the scan of existing rows: a brief {lock}; new rows are checked from now on"
                + (" (the YAML says not_valid: existing rows are never validated)." if declared else "."),
                relations=rel)
    return [add] if declared else [add, _validate(table, constraint, ctx)]


def _relations(table: str, constraint: model.CheckConstraint | model.ForeignKey, ctx: Context) -> tuple[str, ...]:
    if isinstance(constraint, model.ForeignKey):
        return (ctx.relation(table), ctx.relation(constraint.ref_table))
    return (ctx.relation(table),)


def _validate(table: str, constraint: model.CheckConstraint | model.ForeignKey, ctx: Context) -> Step:
    is_fk = isinstance(constraint, model.ForeignKey)
    phase = Phase.VALIDATE_FOREIGN_KEYS if is_fk else Phase.VALIDATE_CHECKS
    failure = "a row references a missing row" if is_fk else "an existing row violates the check"
    return draft(phase, StepKind.VALIDATE_CONSTRAINT, f"{table}.{constraint.name}",
                 ddl.validate_constraint(table, constraint.name, ctx.scope), Hazard.DATA, VALIDATE.format(failure),
                 isolated=True, relations=_relations(table, constraint, ctx))


def validate_constraint(change: ValidateConstraint, ctx: Context) -> list[Step]:
    return [_validate(change.table, change.constraint, ctx)]


ONLY_IN_DATABASE = ("Only the database has this {what} (added by hand, or removed from the YAML): once it is "
                    "gone, {loss}. Refused without --allow-destructive. A brief ACCESS EXCLUSIVE lock.")
INDEX_ONLY_IN_DATABASE = ("Only the database has this index (built by hand, or removed from the YAML): once it is "
                          "gone, queries that use it scan the table instead. Refused without --allow-destructive. "
                          "Dropped CONCURRENTLY (outside a transaction): reads and writes go on.")


def drop_constraint(change: DropPrimaryKey | DropUnique | DropCheck | DropForeignKey, ctx: Context) -> list[Step]:
    rel: tuple[str, ...]
    match change:
        case DropForeignKey():
            phase, name, kind = Phase.DROP_FOREIGN_KEYS, change.foreign_key.name, StepKind.DROP_FOREIGN_KEY
            rel = (ctx.relation(change.table), ctx.relation(change.foreign_key.ref_table))
        case DropPrimaryKey() | DropUnique() | DropCheck():
            name = _constraint_name(change)
            phase, kind, rel = Phase.DROP_CONSTRAINTS, StepKind.DROP_CONSTRAINT, (ctx.relation(change.table),)
        case _:
            assert_never(change)
    hazard, reason = Hazard.SAFE, DROP_CONSTRAINT
    lost = constraint_only_in_database(change, ctx.desired)
    if lost is not None:
        hazard, reason = Hazard.WEAKENS, ONLY_IN_DATABASE.format(what=lost[0], loss=lost[1])
    return [draft(phase, kind, f"{change.table}.{name}", ddl.drop_constraint(change.table, name, ctx.scope),
                  hazard, reason, relations=rel)]


def constraint_only_in_database(change: DropPrimaryKey | DropUnique | DropCheck | DropForeignKey,
                                desired: model.Database) -> tuple[str, str] | None:
    """(what, what is lost) when the dropped constraint's guarantee is nowhere in the desired schema."""
    table = desired.table(change.table)
    if table is None:
        return None  # the table goes (destructive by itself) or is not the plan's to judge
    match change:
        case DropCheck(check=check):
            helper = check.name == make_object_name(change.table, _null_tested(check.expression) or "", "not_null")
            if helper or any(c.name == check.name or c.expression == check.expression for c in table.checks):
                return None
            return "CHECK", "rows it refuses get in"
        case DropForeignKey(foreign_key=fk):
            if any(f.name == fk.name or (f.columns, f.ref_table, f.ref_columns) == (fk.columns, fk.ref_table,
                                                                                    fk.ref_columns)
                   for f in table.foreign_keys):
                return None
            return "foreign key", f"rows that point at no row of {fk.ref_table} get in"
        case DropPrimaryKey(key=key) | DropUnique(constraint=key):
            equal_nulls = isinstance(key, model.UniqueConstraint) and key.nulls_not_distinct
            if _unique_elsewhere(table, frozenset(key.columns), equal_nulls=equal_nulls):
                return None
            return ("primary key" if isinstance(change, DropPrimaryKey) else "UNIQUE constraint",
                    "duplicate (and, for a primary key, NULL) values get in")
        case _:
            assert_never(change)


def _null_tested(expression: str) -> str | None:
    """The column of ``(col IS NOT NULL)``: the helper CHECK of an online SET NOT NULL."""
    text = expression.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    head, _, tail = text.rpartition(" IS NOT NULL")
    return head.strip().strip('"') if head and not tail else None


def _unique_elsewhere(table: model.Table, columns: frozenset[str], *, equal_nulls: bool) -> bool:
    """Whether the desired table keeps these columns unique, at least as strictly: a key or a plain unique
    index on exactly them (one that counts NULLs as equal when the dropped one did)."""
    keys: list[tuple[frozenset[str], bool]] = [(frozenset(u.columns), u.nulls_not_distinct) for u in table.uniques]
    if table.primary_key:
        keys.append((frozenset(table.primary_key.columns), True))  # NOT NULL: no two NULLs at all
    keys += [(frozenset(k.column for k in i.keys if k.column), i.nulls_not_distinct) for i in table.indexes
             if i.unique and not i.where and all(k.column for k in i.keys)]
    return any(found == columns and (strict or not equal_nulls) for found, strict in keys)


def _constraint_name(change: DropPrimaryKey | DropUnique | DropCheck) -> str:
    match change:
        case DropPrimaryKey():
            return change.key.name
        case DropUnique():
            return change.constraint.name
        case DropCheck():
            return change.check.name
        case _:
            assert_never(change)


def rename_constraint(change: RenameConstraint, ctx: Context) -> list[Step]:
    sql = ddl.rename_constraint(change.table, change.old, change.new, ctx.scope)
    return [draft(Phase.RENAME_KEYS, StepKind.RENAME_CONSTRAINT, f"{change.table}.{change.new}", sql, Hazard.LOCKS,
                  RENAME, relations=(ctx.relation(change.table),))]


def create_index(change: CreateIndex, ctx: Context) -> list[Step]:
    index, table = change.index, change.table
    hazard, reason = (Hazard.DATA, UNIQUE_INDEX) if index.unique else (Hazard.SAFE, CONCURRENT_INDEX)
    steps = [draft(Phase.INDEXES, StepKind.CREATE_INDEX_CONCURRENTLY, index.name,
                   ddl.create_index(table, index, ctx.scope, concurrently=True), hazard, reason,
                   transactional=False, relations=(ctx.relation(table), ctx.relation(index.name)))]
    if index.comment is not None:
        steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, index.name,
                           ddl.comment_on("index", table, index.name, index.comment, ctx.scope), Hazard.SAFE,
                           "Catalog-only."))
    return steps


def drop_index(change: DropIndex, ctx: Context) -> list[Step]:
    sql = ddl.drop_index(change.index.name, ctx.scope, concurrently=True)
    hazard, reason = Hazard.SAFE, "Dropped CONCURRENTLY (outside a transaction): reads and writes go on."
    if index_only_in_database(change, ctx.desired):
        hazard, reason = Hazard.WEAKENS, INDEX_ONLY_IN_DATABASE
    return [draft(Phase.DROP_INDEXES, StepKind.DROP_INDEX_CONCURRENTLY, change.index.name, sql, hazard, reason,
                  transactional=False, relations=(ctx.relation(change.table), ctx.relation(change.index.name)))]


def index_only_in_database(change: DropIndex, desired: model.Database) -> bool:
    """A valid index that the desired schema has under no name and as no key: queries lose it.

    Not: an INVALID index (a failed build serves no query), pgevolve's own leftover of an interrupted
    replacement (``..._pgevolve_new``), an index made again under its name (a rebuild).
    """
    index, table = change.index, desired.table(change.table)
    if table is None or not index.valid or index.name.endswith("_pgevolve_new"):
        return False
    names = {i.name for i in table.indexes} | {u.name for u in table.uniques}
    if index.name in names or (table.primary_key is not None and table.primary_key.name == index.name):
        return False
    plain = index.unique and not index.where and all(k.column for k in index.keys)
    columns = frozenset(k.column for k in index.keys if k.column)
    return not (plain and _unique_elsewhere(table, columns, equal_nulls=index.nulls_not_distinct))


def rename_index(change: RenameIndex, ctx: Context) -> list[Step]:
    sql = ddl.rename_index(change.old, change.new, ctx.scope)
    return [draft(Phase.RENAME_KEYS, StepKind.RENAME_INDEX, change.new, sql, Hazard.SAFE, RENAME_INDEX,
                  relations=(ctx.relation(change.table), ctx.relation(change.new)))]
