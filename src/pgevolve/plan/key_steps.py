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


def add_check(change: AddCheck, ctx: Context) -> list[Step]:
    steps = _not_valid_then_validate(change.table, change.check, ctx)
    if is_loosening(change):
        steps[-1] = replace(steps[-1], hazard=Hazard.SAFE, reason=LOOSENED)
    return steps


def is_loosening(change: AddCheck) -> bool:
    """The CHECK replaces a valid one of the same name that implies it: validating it cannot fail."""
    old = change.replaces
    return old is not None and old.valid and check_implies(old.expression, change.check.expression)


def add_foreign_key(change: AddForeignKey, ctx: Context) -> list[Step]:
    return _not_valid_then_validate(change.table, change.foreign_key, ctx)


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
    return [draft(phase, kind, f"{change.table}.{name}", ddl.drop_constraint(change.table, name, ctx.scope),
                  Hazard.SAFE, DROP_CONSTRAINT, relations=rel)]


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
    return [draft(Phase.DROP_INDEXES, StepKind.DROP_INDEX_CONCURRENTLY, change.index.name, sql, Hazard.SAFE,
                  "Dropped CONCURRENTLY (outside a transaction): reads and writes go on.", transactional=False,
                  relations=(ctx.relation(change.table), ctx.relation(change.index.name)))]


def rename_index(change: RenameIndex, ctx: Context) -> list[Step]:
    sql = ddl.rename_index(change.old, change.new, ctx.scope)
    return [draft(Phase.RENAME_KEYS, StepKind.RENAME_INDEX, change.new, sql, Hazard.SAFE, RENAME_INDEX,
                  relations=(ctx.relation(change.table), ctx.relation(change.new)))]
