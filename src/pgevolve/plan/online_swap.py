"""The swap of an online type change, and what follows it.

One short transaction for every table of the change (its retyped columns linked by foreign keys
swap together). It takes every ACCESS EXCLUSIVE lock it needs first, in one statement, so that no
later statement waits while holding the others (a lock not granted in time is retried from
there, holding nothing). Then: the foreign keys on a retyped column are unhooked; the sync
triggers dropped; the old keys, indexes and CHECKs on the columns dropped; each column renamed
``<column>_pgevolve_old`` and its shadow given its name; NOT NULL set (no scan: the validated
helper CHECK proves it); the default, identity or serial sequence moved; the keys attached
``USING INDEX`` the indexes built aside, those renamed to their names, the CHECKs too; the old
column marked retired; the foreign keys added again NOT VALID. Nothing in it reads the table:
its duration does not grow with the rows.

After it: each foreign key is validated in a transaction of its own (SHARE UPDATE EXCLUSIVE,
reads and writes go on), and each old column is dropped (catalog-only; its space is reused as
rows are updated, or reclaimed by VACUUM FULL / pg_repack).
"""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import OnlineColumn, OnlineTable, RetypeOnline
from pgevolve.plan.context import Context, draft
from pgevolve.plan.online_steps import (
    aside_checks,
    aside_indexes,
    before_swap,
    helper_check_name,
    keeps_values,
    trigger_name,
)
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext import online_sql as sql
from pgevolve.sqltext.ident import make_object_name, retired_column_name, sequence_name

LOCK = ("The swap: one transaction that touches no row, so it is short whatever the table's size. Every lock it "
        "needs is taken here at once (reads and writes of these tables wait until it commits, typically "
        "milliseconds); when one is not granted within lock_timeout, this statement is retried, holding nothing.")
UNHOOK = ("Unhooked for the swap (PostgreSQL cannot drop or retype a key while a foreign key stands on it); added "
          "again NOT VALID at the end of this same transaction, so no row escapes it.")
TRIGGER_GONE = "The shadow becomes the column in this transaction: its sync trigger and function are no longer needed."
OLD_KEY = "The old key on the old column; the one built on the shadow takes its place below, in this transaction."
OLD_INDEX = ("The old index on the old column (a plain DROP INDEX: this transaction holds the table's lock already); "
             "the one built on the shadow takes its name below.")
OLD_CHECK = "The CHECK on the old column; its copy on the shadow takes its name below."
OLD_DEFAULT = "The default moves to the new column below."
RENAME_OLD = "The old column steps aside (dropped after the swap); its values are all in the new one."
RENAME_NEW = "The shadow takes the column's name: from this commit on, every query reads and writes it."
NOT_NULL = "No scan: the validated helper CHECK proves the column holds no NULL."
HELPER_GONE = "The helper CHECK has done its work."
IDENTITY = ("The new column numbers rows from its own identity sequence (PostgreSQL ties an identity sequence to its "
            "column: it cannot move), under a temporary name until the old one is gone.")
CONTINUE = ("The new sequence continues where the old one stood (and past the largest value): no number is handed "
            "out twice.")
OLD_IDENTITY = "The old column stops numbering rows; its sequence goes with it."
SEQUENCE_NAMED = "The new identity sequence takes the name a fresh build gives it."
MOVE_DEFAULT = "The column's default, on the new column."
MOVE_SEQUENCE = "The serial sequence now belongs to the new column (dropped with it, not with the old one)."
CREATE_SEQUENCE = "A new sequence, owned by the column."
PAST_VALUES = "The new sequence starts past the largest existing value."
OLD_NOT_NULL = "The old column no longer takes writes: it may be NULL in new rows until it is dropped."
RETIRED = "Marks the old column as pgevolve's, to be dropped (by the next step, or the next apply if interrupted)."
ATTACH = "Attaches the index built on the shadow as {what} (renaming it `{name}`): no scan."
RENAME_INDEX = "The index built on the shadow takes its name."
REPLICA_IDENTITY = ("Logical replication identifies rows by the index built on the shadow, as it did by the old one "
                    "(the flag belongs to the index). Catalog-only.")
RENAME_CHECK = "The CHECK built on the shadow takes its name."
REHOOK = ("Added again NOT VALID in the swap's transaction: rows written from its commit on are checked; the "
          "existing ones are checked by VALIDATE below.")
VALIDATE_HELD = (" It cannot fail: the foreign key held before the swap, and its columns keep their values as they "
                 "were.")
VALIDATE = ("Scans under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); fails if a row references a "
            "missing row.")
DROP_OLD = ("Drops the old column: catalog-only, a brief ACCESS EXCLUSIVE lock (its space is reused as rows are "
            "updated). Its values are in the new column, converted as declared.")
DROP_OLD_LOSSY = ("Drops the old column: catalog-only, a brief ACCESS EXCLUSIVE lock. The conversion rounded or "
                  "narrowed its values: the originals are gone from here on (in place, the type change itself "
                  "would have been destructive).")


def retype_online(change: RetypeOnline, ctx: Context) -> list[Step]:
    """Every step of an online type change: prepare, backfill, build aside, swap, validate, drop the old."""
    return before_swap(change, ctx) + swap(change, ctx) + after_swap(change, ctx)


def swap(change: RetypeOnline, ctx: Context) -> list[Step]:
    """The one swap transaction of the whole change."""
    tag = f"swap online {change.tables[0].name}"
    # Dropping or adding a foreign key locks the table it references too: every one is taken up front.
    tables = [t.name for t in change.tables] + [table for table, _, _ in change.foreign_keys]
    tables += [fk.ref_table for _, live, wanted in change.foreign_keys for fk in (live, wanted)
               if fk is not None and fk.ref_schema is None]
    first = change.tables[0].name
    steps = [_step(StepKind.LOCK_TABLES, first, sql.lock_tables(ctx.scope.schema, tables), LOCK, ctx, tables)]
    for owner, live, _ in change.foreign_keys:
        if live is not None:
            steps.append(_step(StepKind.DROP_FOREIGN_KEY, f"{owner}.{live.name}",
                               ddl.drop_constraint(owner, live.name, ctx.scope), UNHOOK, ctx, [owner]))
    for online in change.tables:
        steps += _swap_table(online, ctx)
    for owner, _, wanted in change.foreign_keys:
        if wanted is not None:
            steps.append(_step(StepKind.ADD_FOREIGN_KEY_NOT_VALID, f"{owner}.{wanted.name}",
                               ddl.add_constraint(owner, wanted, ctx.scope, not_valid=True), REHOOK, ctx,
                               [owner, wanted.ref_table]))
    return [replace(s, together=tag) for s in steps]


def _step(kind: StepKind, obj: str, statement: str, reason: str, ctx: Context, tables: list[str]) -> Step:
    return draft(Phase.KEYS, kind, obj, statement, Hazard.SAFE, reason,
                 relations=tuple(ctx.relation(t) for t in dict.fromkeys(tables)))


def _swap_table(table: OnlineTable, ctx: Context) -> list[Step]:
    name, scope, steps = table.name, ctx.scope, []

    def add(kind: StepKind, obj: str, statement: str, reason: str) -> None:
        steps.append(_step(kind, obj, statement, reason, ctx, [name]))

    for column in table.columns:
        function = trigger_name(name, column)
        add(StepKind.DROP_SYNC_TRIGGER, f"{name}.{column.new.name}",
            sql.drop_retype_trigger(scope.schema, name, function), TRIGGER_GONE)
        add(StepKind.DROP_SYNC_FUNCTION, f"{name}.{column.new.name}", sql.drop_retype_function(scope.schema, function),
            TRIGGER_GONE)
    for key in (table.old_primary_key, *table.old_uniques):
        if key is not None:
            add(StepKind.DROP_CONSTRAINT, f"{name}.{key.name}", ddl.drop_constraint(name, key.name, scope), OLD_KEY)
    for index in table.old_indexes:
        add(StepKind.DROP_INDEX, index.name, ddl.drop_index(index.name, scope, concurrently=False), OLD_INDEX)
    for check in table.old_checks:
        add(StepKind.DROP_CHECK, f"{name}.{check.name}", ddl.drop_constraint(name, check.name, scope), OLD_CHECK)
    for column in table.columns:
        steps += _swap_column(table, column, ctx, helper_check_name(name, column))
    for index, what, wanted in aside_indexes(table):
        if isinstance(wanted, model.PrimaryKey | model.UniqueConstraint):
            kind = StepKind.ADD_PRIMARY_KEY if isinstance(wanted, model.PrimaryKey) else StepKind.ADD_UNIQUE
            add(kind, f"{name}.{wanted.name}", ddl.add_key_using_index(name, wanted, scope, index.name),
                ATTACH.format(what=what, name=wanted.name))
        else:
            add(StepKind.RENAME_INDEX, wanted.name, ddl.rename_index(index.name, wanted.name, scope), RENAME_INDEX)
            if wanted.comment is not None:
                add(StepKind.COMMENT, wanted.name, ddl.comment_on("index", name, wanted.name, wanted.comment, scope),
                    "The index's description.")
    for check, wanted_check in aside_checks(table):
        if wanted_check is not None:
            add(StepKind.RENAME_CONSTRAINT, f"{name}.{wanted_check.name}",
                ddl.rename_constraint(name, check.name, wanted_check.name, scope), RENAME_CHECK)
    desired = ctx.desired.table(name)
    rebuilt = {wanted.name for _, _, wanted in aside_indexes(table)}
    if desired is not None and desired.replica_identity == "index" and desired.replica_identity_index in rebuilt:
        add(StepKind.SET_REPLICA_IDENTITY, name, ddl.set_replica_identity(name, "index",
                                                                         desired.replica_identity_index, scope),
            REPLICA_IDENTITY)
    return steps


def _swap_column(table: OnlineTable, column: OnlineColumn, ctx: Context, helper: str) -> list[Step]:
    name, scope, old, new = table.name, ctx.scope, column.old, column.new
    retired = retired_column_name(new.name)
    obj = f"{name}.{new.name}"
    steps: list[Step] = []

    def add(kind: StepKind, statement: str, reason: str, what: str = obj) -> None:
        steps.append(_step(kind, what, statement, reason, ctx, [name]))

    old_serial = ddl.serial_type(name, old)
    if (old.default is not None or old_serial) and not old.identity:
        add(StepKind.DROP_DEFAULT, ddl.drop_default(name, old.name, scope), OLD_DEFAULT)
    add(StepKind.RENAME_COLUMN, ddl.rename_column(name, old.name, retired, scope), RENAME_OLD,
        f"{name}.{retired}")
    add(StepKind.RENAME_COLUMN, ddl.rename_column(name, column.shadow, new.name, scope), RENAME_NEW)
    if not new.nullable:
        add(StepKind.SET_NOT_NULL, ddl.set_not_null(name, new.name, scope), NOT_NULL)
        add(StepKind.DROP_CHECK, ddl.drop_constraint(name, helper, scope), HELPER_GONE)
    steps += _numbering(table, column, retired, ctx)
    if old.identity and not new.identity:
        add(StepKind.DROP_IDENTITY, ddl.drop_identity(name, retired, scope), OLD_IDENTITY, f"{name}.{retired}")
    if not old.nullable or old.identity:
        add(StepKind.DROP_NOT_NULL, ddl.drop_not_null(name, retired, scope), OLD_NOT_NULL, f"{name}.{retired}")
    marker = model.RetiredColumn(table=name, name=retired, replaced_by=new.name, lossy=column.lossy)
    add(StepKind.COMMENT, sql.comment_retired(scope.schema, marker), RETIRED, f"{name}.{retired}")
    if new.comment is not None:
        add(StepKind.COMMENT, ddl.comment_on("column", name, new.name, new.comment, scope), "The column's description.")
    return steps


def _numbering(table: OnlineTable, column: OnlineColumn, retired: str, ctx: Context) -> list[Step]:
    """The new column's default, identity or serial sequence, taken over from the old one."""
    name, scope, old, new = table.name, ctx.scope, column.old, column.new
    obj = f"{name}.{new.name}"
    schema = scope.schema

    def step(kind: StepKind, statement: str, reason: str) -> Step:
        return _step(kind, obj, statement, reason, ctx, [name])

    if new.identity:
        temporary = make_object_name(sequence_name(name, new.name), None, "pgevolve_new")
        steps = [
            step(StepKind.ADD_IDENTITY, sql.add_identity_as(name, new.name, new.identity, temporary, schema), IDENTITY),
            step(StepKind.SET_SEQUENCE, sql.continue_sequence(name, new.name, temporary, schema,
                                                              after=retired if old.identity else None), CONTINUE),
        ]
        if old.identity:
            steps.append(step(StepKind.DROP_IDENTITY, ddl.drop_identity(name, retired, scope), OLD_IDENTITY))
        steps.append(step(StepKind.RENAME_SEQUENCE, ddl.rename_sequence(temporary, sequence_name(name, new.name),
                                                                         scope), SEQUENCE_NAMED))
        return steps
    new_serial, old_serial = ddl.serial_type(name, new), ddl.serial_type(name, old)
    if new_serial:
        sequence = sequence_name(name, new.name)
        default = ddl.serial_default(name, new.name, scope)
        if old_serial:
            return [step(StepKind.SET_DEFAULT, ddl.set_default(name, new.name, default, scope), MOVE_DEFAULT),
                    step(StepKind.ALTER_SEQUENCE, sql.own_sequence(sequence, name, new.name, schema), MOVE_SEQUENCE)]
        return [step(StepKind.CREATE_SEQUENCE, ddl.create_owned_sequence(name, new, scope), CREATE_SEQUENCE),
                step(StepKind.SET_DEFAULT, ddl.set_default(name, new.name, default, scope), MOVE_DEFAULT),
                step(StepKind.SET_SEQUENCE, ddl.set_sequence_past_values(name, new.name, scope, identity=False),
                     PAST_VALUES)]
    if new.default is not None:
        return [step(StepKind.SET_DEFAULT, ddl.set_default(name, new.name, new.default, scope), MOVE_DEFAULT)]
    return []


def after_swap(change: RetypeOnline, ctx: Context) -> list[Step]:
    """Each re-added foreign key validated; each old column dropped."""
    steps = []
    for owner, live, wanted in change.foreign_keys:
        if wanted is not None and wanted.valid:
            hazard, reason = Hazard.DATA, VALIDATE
            if _held_foreign_key(change, owner, live, wanted):
                hazard, reason = Hazard.SAFE, VALIDATE + VALIDATE_HELD
            steps.append(draft(Phase.VALIDATE_FOREIGN_KEYS, StepKind.VALIDATE_CONSTRAINT, f"{owner}.{wanted.name}",
                               ddl.validate_constraint(owner, wanted.name, ctx.scope), hazard, reason,
                               isolated=True, relations=(ctx.relation(owner), ctx.relation(wanted.ref_table))))
    for online in change.tables:
        for column in online.columns:
            steps.append(drop_old_column(online.name, retired_column_name(column.new.name), column.lossy, ctx))
    return steps


def _held_foreign_key(change: RetypeOnline, owner: str, live: model.ForeignKey | None,
                      wanted: model.ForeignKey) -> bool:
    """The foreign key held, valid, before the swap, with this definition, and its columns kept their values."""
    if live is None or not live.valid or replace(live, valid=True) != wanted:
        return False
    touched = {(t.name, c.new.name): c for t in change.tables for c in t.columns}
    pairs = [(owner, c) for c in wanted.columns] + [(wanted.ref_table, c) for c in wanted.ref_columns]
    return all(keeps_values(touched[p]) for p in pairs if p in touched)


def drop_old_column(table: str, retired: str, lossy: bool, ctx: Context) -> Step:
    # Right after the swap, in a transaction of its own (before the foreign keys' VALIDATE, which may
    # take long): until it is gone, an INSERT without a column list would fill the old column.
    return draft(Phase.FOREIGN_KEYS, StepKind.DROP_COLUMN, f"{table}.{retired}",
                 ddl.drop_column(table, retired, ctx.scope), Hazard.DESTRUCTIVE if lossy else Hazard.SAFE,
                 DROP_OLD_LOSSY if lossy else DROP_OLD, isolated=True, relations=(ctx.relation(table),))
