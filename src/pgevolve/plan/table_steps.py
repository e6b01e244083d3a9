"""Steps for whole tables and for adding, dropping and renaming columns."""

from __future__ import annotations

from pgevolve import model
from pgevolve.changes import (
    AddColumn,
    CreateTable,
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
    SetReplicaIdentity,
    SetStorage,
)
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext.expression_facts import referenced_columns, volatile_calls

NEW_TABLE_INDEX = "The table is created in this plan and still empty: a plain CREATE INDEX is instant."
NEW_TABLE_KEY = (
    "The table is created in this plan and still empty: the key is checked at once; "
    "a brief SHARE ROW EXCLUSIVE lock on the referenced table."
)


def create_table(change: CreateTable, ctx: Context) -> list[Step]:
    """CREATE TABLE, then (in their phases) its foreign keys, indexes and comments, all in plain form."""
    table, scope = change.definition, ctx.scope
    steps = [draft(Phase.TABLES, StepKind.CREATE_TABLE, table.name, ddl.create_table(table, scope), Hazard.SAFE,
                   "Creates a new, empty table.", relations=ctx.table_relations(table))]
    for check in model.sort_by_name(table.checks):
        if not check.valid:  # only ALTER TABLE can add a NOT VALID check
            steps.append(draft(Phase.CHECKS, StepKind.ADD_CHECK_NOT_VALID, f"{table.name}.{check.name}",
                               ddl.add_constraint(table.name, check, scope, not_valid=True), Hazard.SAFE,
                               "Added NOT VALID, as the desired schema has it.",
                               relations=(ctx.relation(table.name),)))
    for fk in model.sort_by_name(table.foreign_keys):
        steps.append(draft(Phase.FOREIGN_KEYS, StepKind.ADD_FOREIGN_KEY, f"{table.name}.{fk.name}",
                           ddl.add_constraint(table.name, fk, scope, not_valid=not fk.valid), Hazard.SAFE,
                           NEW_TABLE_KEY, relations=(ctx.relation(table.name), ctx.relation(fk.ref_table))))
    for index in model.sort_by_name(table.indexes):
        steps.append(draft(Phase.INDEXES, StepKind.CREATE_INDEX, index.name,
                           ddl.create_index(table.name, index, scope, concurrently=False), Hazard.SAFE,
                           NEW_TABLE_INDEX, relations=(ctx.relation(table.name), ctx.relation(index.name))))
    if table.replica_identity != "default":
        identity = ddl.set_replica_identity(table.name, table.replica_identity, table.replica_identity_index, scope)
        steps.append(draft(Phase.KEYS, StepKind.SET_REPLICA_IDENTITY, table.name, identity, Hazard.SAFE,
                           REPLICA_IDENTITY, relations=(ctx.relation(table.name),)))
    steps += [_comment(sql, table.name) for sql in ddl.table_comments(table, scope)]
    return steps


STORAGE = ("Catalog-only, under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); no row is rewritten "
           "(a new fillfactor applies to pages written from now on).")
REPLICA_IDENTITY = ("Catalog-only: a brief ACCESS EXCLUSIVE lock; logical replication logs the new identity "
                    "from the next change on.")


def set_storage(change: SetStorage, ctx: Context) -> list[Step]:
    """SET the parameters that changed, RESET those no longer listed."""
    rel = (ctx.relation(change.table),)
    steps = []
    if change.set:
        steps.append(draft(Phase.COLUMNS, StepKind.SET_STORAGE, change.table,
                           ddl.set_storage(change.table, change.set, ctx.scope), Hazard.SAFE, STORAGE, relations=rel))
    if change.reset:
        steps.append(draft(Phase.COLUMNS, StepKind.RESET_STORAGE, change.table,
                           ddl.reset_storage(change.table, change.reset, ctx.scope), Hazard.SAFE, STORAGE,
                           relations=rel))
    return steps


def set_replica_identity(change: SetReplicaIdentity, ctx: Context) -> list[Step]:
    """After the keys and indexes: USING INDEX needs its index built."""
    sql = ddl.set_replica_identity(change.table, change.identity, change.index, ctx.scope)
    return [draft(Phase.KEYS, StepKind.SET_REPLICA_IDENTITY, change.table, sql, Hazard.SAFE, REPLICA_IDENTITY,
                  relations=(ctx.relation(change.table),))]


def _comment(sql: str, obj: str) -> Step:
    return draft(Phase.COMMENTS, StepKind.COMMENT, obj, sql, Hazard.SAFE, "Comments are catalog-only.")


def drop_table(change: DropTable, ctx: Context) -> list[Step]:
    """Its foreign keys first (so tables that reference each other drop in any order), then the table."""
    table = change.definition
    steps = [
        draft(Phase.DROP_FOREIGN_KEYS, StepKind.DROP_FOREIGN_KEY, f"{table.name}.{fk.name}",
              ddl.drop_constraint(table.name, fk.name, ctx.scope), Hazard.SAFE,
              "Dropped before its table, so that tables referencing each other can be dropped.",
              relations=(ctx.relation(table.name), ctx.relation(fk.ref_table)))
        for fk in model.sort_by_name(table.foreign_keys)
    ]
    steps.append(draft(Phase.DROP_TABLES, StepKind.DROP_TABLE, table.name, ddl.drop_table(table.name, ctx.scope),
                       Hazard.DESTRUCTIVE, "Deletes the table and every row in it.",
                       relations=ctx.table_relations(table)))
    return steps


def rename_table(change: RenameTable, ctx: Context) -> list[Step]:
    sql = ddl.rename_table(change.old, change.new, ctx.scope)
    return [draft(Phase.RENAMES, StepKind.RENAME_TABLE, change.new, sql, Hazard.LOCKS,
                  "A brief ACCESS EXCLUSIVE lock; queries that still use the old name fail from now on.",
                  relations=(ctx.relation(change.new),)),
            *_rename_sequences(change.sequences, ctx)]


def rename_column(change: RenameColumn, ctx: Context) -> list[Step]:
    sql = ddl.rename_column(change.table, change.old, change.new, ctx.scope)
    return [draft(Phase.RENAMES, StepKind.RENAME_COLUMN, f"{change.table}.{change.new}", sql, Hazard.LOCKS,
                  "A brief ACCESS EXCLUSIVE lock; queries that still use the old name fail from now on.",
                  relations=(ctx.relation(change.table),)),
            *_rename_sequences(change.sequences, ctx)]


def _rename_sequences(pairs: tuple[tuple[str, str], ...], ctx: Context) -> list[Step]:
    return [draft(Phase.RENAMES, StepKind.RENAME_SEQUENCE, new, ddl.rename_sequence(old, new, ctx.scope), Hazard.LOCKS,
                  "A brief ACCESS EXCLUSIVE lock on the serial sequence; the column's default follows it (it names "
                  "the sequence by OID).", relations=(ctx.relation(new),))
            for old, new in pairs]


def add_column(change: AddColumn, ctx: Context) -> list[Step]:
    column = change.column
    hazard, reason = add_column_hazard(change.table, column)
    steps = [draft(Phase.COLUMNS, StepKind.ADD_COLUMN, f"{change.table}.{column.name}",
                   ddl.add_column(change.table, column, ctx.scope), hazard, reason,
                   relations=(ctx.relation(change.table),))]
    if column.comment is not None:
        sql = ddl.comment_on("column", change.table, column.name, column.comment, ctx.scope)
        steps.append(_comment(sql, f"{change.table}.{column.name}"))
    return steps


def add_column_hazard(table: str, column: model.Column) -> tuple[Hazard, str]:
    """What ADD COLUMN costs on a table that has rows."""
    rewrite = _rewrite_reason(table, column)
    if rewrite:
        return Hazard.REWRITE, rewrite
    if not column.nullable and column.default is None:
        return Hazard.DATA, "NOT NULL without a default: fails if the table has any rows."
    if column.default is not None:
        # PostgreSQL 11+: a non-volatile default is evaluated once and kept in the catalog.
        return Hazard.SAFE, ("The default is not volatile: PostgreSQL 11+ evaluates it once and stores it "
                             "in the catalog, so existing rows are not rewritten.")
    return Hazard.SAFE, "A nullable column without a default only changes the catalog."


def _rewrite_reason(table: str, column: model.Column) -> str | None:
    lock = "the table is rewritten under an ACCESS EXCLUSIVE lock"
    if column.generated is not None:
        return f"A stored generated column is computed for every existing row: {lock}."
    if column.identity or ddl.serial_type(table, column):
        return f"Every existing row takes a value from the new sequence: {lock}."
    if column.default is None:
        return None
    calls = volatile_calls(column.default)
    if calls is None:
        return f"The default could not be read, so it is taken as volatile: {lock}."
    if calls:
        names = ", ".join(f"{name}()" for name in dict.fromkeys(calls))
        return f"The default calls {names}, volatile, so it is computed for every existing row: {lock}."
    return None


def drop_column(change: DropColumn, ctx: Context) -> list[Step]:
    sql = ddl.drop_column(change.table, change.column.name, ctx.scope)
    # Columns go last (what still reads them keeps working until then), but a generated column goes before a
    # type change of a column it reads: PostgreSQL refuses that type change while it exists.
    phase = Phase.GENERATED_ASIDE if reads_retyped(change.table, change.column, ctx) else Phase.DROP_COLUMNS
    return [draft(phase, StepKind.DROP_COLUMN, f"{change.table}.{change.column.name}", sql,
                  Hazard.DESTRUCTIVE, "Deletes the column and its data in every row.",
                  relations=(ctx.relation(change.table),))]


def reads_retyped(table: str, column: model.Column, ctx: Context) -> bool:
    """True when ``column`` is generated from a column that an ALTER COLUMN TYPE (or COLLATE) of this plan
    changes: PostgreSQL refuses that statement while the generated column exists, whatever its expression."""
    if column.generated is None:
        return False
    return any({"type", "collation"} & c.changes
               for c in ctx.alterations(table, referenced_columns(column.generated)) if c.new.name != column.name)
