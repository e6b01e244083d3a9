"""Steps for a column changed in place (AlterColumn), online where PostgreSQL allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pgevolve import model
from pgevolve.changes import AlterColumn
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.plan.table_steps import add_column_hazard, reads_retyped
from pgevolve.sqltext import ddl
from pgevolve.sqltext.expression_facts import nextval_sequence, referenced_columns
from pgevolve.sqltext.ident import make_object_name, quote_ident, sequence_name
from pgevolve.sqltext.type_changes import Conversion, conversion, through_text
from pgevolve.sqltext.type_names import SERIAL_TYPES

_TYPE_HAZARD = {
    Conversion.COERCIBLE: (Hazard.SAFE, "Binary-coercible: only the catalog changes (a brief ACCESS EXCLUSIVE "
                                        "lock, no scan, no rewrite)."),
    Conversion.WIDENING: (Hazard.REWRITE, "Every value converts, but the table and its indexes are rewritten "
                                          "under an ACCESS EXCLUSIVE lock."),
    # Narrowing is destructive, refused without --allow-destructive (the apply contract), although
    # PostgreSQL rejects a value that does not fit rather than cutting it (no USING, see below).
    Conversion.ASSIGNMENT: (Hazard.DESTRUCTIVE, "Narrows the type: the table and its indexes are rewritten under an "
                                                "ACCESS EXCLUSIVE lock, and the cast fails if an existing value does "
                                                "not fit."),
    Conversion.ROUNDING: (Hazard.DESTRUCTIVE, "Rounds values: the table is rewritten under an ACCESS EXCLUSIVE lock, "
                                              "digits after the point or time precision that the new type cannot "
                                              "hold are rounded away without an error, and values that do not fit "
                                              "are rejected."),
    Conversion.EXPLICIT: (Hazard.DATA, "The table is rewritten under an ACCESS EXCLUSIVE lock, and the cast fails "
                                       "if an existing value cannot be converted."),
}


def alter_column(change: AlterColumn, ctx: Context) -> list[Step]:
    """The statements for one changed column, in the order PostgreSQL needs them."""
    if ("generated" in change.changes and change.new.generated is not None) or "recomputed" in change.changes:
        return _recreate(change, ctx)
    steps: list[Step] = []
    if "generated" in change.changes:
        early = reads_retyped(change.table, change.old, ctx)
        steps.append(_step(change, ctx, StepKind.DROP_EXPRESSION, ddl.drop_expression, Hazard.SAFE,
                           "The column keeps its values and becomes an ordinary column.",
                           phase=Phase.GENERATED_ASIDE if early else Phase.COLUMNS))
    if "identity" in change.changes and change.old.identity and not change.new.identity:
        steps.append(_step(change, ctx, StepKind.DROP_IDENTITY, ddl.drop_identity, Hazard.SAFE,
                           "The column keeps its values; new rows no longer draw from the identity sequence."))
    steps += _type_and_default(change, ctx)
    steps += _nullable(change, ctx)
    steps += _identity(change, ctx)
    return steps


def _step(change: AlterColumn, ctx: Context, kind: StepKind, build: Callable[..., str], hazard: Hazard, reason: str,
          *extra: object, phase: Phase = Phase.COLUMNS) -> Step:
    sql = build(change.table, change.new.name, *extra, ctx.scope)
    return draft(phase, kind, f"{change.table}.{change.new.name}", sql, hazard, reason,
                 relations=(ctx.relation(change.table),))


def _type_and_default(change: AlterColumn, ctx: Context) -> list[Step]:
    old, new, what = change.old, change.new, change.changes
    retyped = "type" in what
    old_serial, new_serial = ddl.serial_type(change.table, old), ddl.serial_type(change.table, new)
    steps: list[Step] = []
    if old_serial and not new_serial:
        steps += _drop_serial(change, ctx)
    # ALTER TYPE casts the old default too, and it may not cast: set it aside, then set the new one.
    elif old.default is not None and (retyped or ("default" in what and new.default is None)):
        steps.append(_step(change, ctx, StepKind.DROP_DEFAULT, ddl.drop_default, Hazard.SAFE,
                           "Existing rows keep their values; only new rows were using the default."))
    if {"type", "collation"} & what:
        steps.append(_alter_type(change, ctx))
    if new_serial and not old_serial:
        steps += _add_serial(change, ctx)
    elif new_serial and retyped:
        # ALTER COLUMN TYPE leaves the sequence's own type (and so its maximum) as it was.
        sequence = sequence_name(change.table, new.name)
        steps.append(draft(Phase.COLUMNS, StepKind.ALTER_SEQUENCE, f"{change.table}.{new.name}",
                           ddl.alter_sequence_type(sequence, ddl.serial_base(new.type), ctx.scope), Hazard.SAFE,
                           "The sequence takes the column's new type (its range); catalog-only.",
                           relations=(ctx.relation(change.table),)))
    elif new.default is not None and not new.identity and ("default" in what or (retyped and old.default is not None)):
        steps.append(_step(change, ctx, StepKind.SET_DEFAULT, ddl.set_default, Hazard.SAFE,
                           "Only new rows get the new default; existing rows are not touched.", new.default))
    return steps


def _plain(column: model.Column) -> model.Column:
    """The column with a serial spelling turned into its integer type (ALTER TYPE knows no serial)."""
    return replace(column, type=SERIAL_TYPES.get(column.type.lower(), column.type))


def _alter_type(change: AlterColumn, ctx: Context) -> Step:
    old, new = _plain(change.old), _plain(change.new)
    if "type" in change.changes:
        how = conversion(old.type, new.type)
        if change.using is not None and how in (Conversion.COERCIBLE, Conversion.WIDENING):
            how = Conversion.EXPLICIT  # the YAML's own conversion: a rewrite, which may fail on a row
        hazard, reason = _TYPE_HAZARD[how]
        if change.using is not None:
            reason += f" Each value is converted by the YAML's `using: {change.using}`."
        if how is Conversion.COERCIBLE and _expression_indexes(ctx.actual.table(change.table), change.old.name):
            # PostgreSQL reuses a plain index's storage on a binary-coercible change, but never
            # that of an index whose expressions or predicate use the column: those are rebuilt.
            hazard, reason = Hazard.LOCKS, ("Binary-coercible, so the table is not rewritten, but the expression "
                                            "and partial indexes on the column are rebuilt under an ACCESS "
                                            "EXCLUSIVE lock.")
    else:
        how = Conversion.COERCIBLE
        hazard, reason = Hazard.LOCKS, "A new collation rebuilds the column's indexes under an ACCESS EXCLUSIVE lock."
    # Without USING, PostgreSQL applies the assignment cast, which raises on a value too
    # long for varchar(n); an explicit cast (USING col::varchar(n)) would truncate silently.
    if "type" in change.changes and through_text(old.type, new.type):
        sql = ddl.retype_through_text(change.table, new, ctx.scope)
    else:
        sql = ddl.alter_column_type(change.table, new, ctx.scope, using=how is Conversion.EXPLICIT,
                                    expression=change.using if "type" in change.changes else None)
    if change.in_place is not None:
        reason += " " + change.in_place
    return draft(Phase.COLUMNS, StepKind.ALTER_COLUMN_TYPE, f"{change.table}.{change.new.name}", sql, hazard, reason,
                 relations=(ctx.relation(change.table),))


def _drop_serial(change: AlterColumn, ctx: Context) -> list[Step]:
    """No longer serial: its default goes, then the sequence it owned (an identity can then take its name)."""
    sequence = nextval_sequence(change.old.default) or sequence_name(change.table, change.old.name)
    rel = (ctx.relation(change.table),)
    if _draws_from(change.new.default, sequence_name(change.table, change.new.name)):
        # The column goes on drawing from the same sequence, which becomes standalone (kept, values and all).
        return [draft(Phase.COLUMNS, StepKind.ALTER_SEQUENCE, f"{change.table}.{change.new.name}",
                      ddl.disown_sequence(sequence_name(change.table, change.new.name), ctx.scope), Hazard.SAFE,
                      "The sequence no longer belongs to the column (it stays, as a standalone one); catalog-only.",
                      relations=rel)]
    return [
        _step(change, ctx, StepKind.DROP_DEFAULT, ddl.drop_default, Hazard.SAFE,
              "Existing rows keep their values; only new rows were drawing from the serial sequence."),
        draft(Phase.COLUMNS, StepKind.DROP_SEQUENCE, f"{change.table}.{change.new.name}",
              ddl.drop_sequence(sequence.rsplit(".", 1)[-1].strip('"'), ctx.scope), Hazard.SAFE,
              "Nothing uses the column's serial sequence any more; the column keeps its values.", relations=rel),
    ]


def _draws_from(default: str | None, sequence: str) -> bool:
    """Whether ``default`` is ``nextval()`` of ``sequence`` (by name, however qualified)."""
    return (nextval_sequence(default) or "").rsplit(".", 1)[-1].strip('"') == sequence


def _add_serial(change: AlterColumn, ctx: Context) -> list[Step]:
    """Becomes serial: its own sequence, the nextval() default, and the sequence moved past existing values."""
    table, new, scope = change.table, change.new, ctx.scope
    obj, rel = f"{table}.{new.name}", (ctx.relation(table),)
    if _draws_from(change.old.default, sequence_name(table, new.name)):
        # A standalone sequence of the serial's own name, which the column already draws from: it is taken over.
        take = draft(Phase.COLUMNS, StepKind.ALTER_SEQUENCE, obj, ddl.own_sequence(table, new, scope), Hazard.SAFE,
                     "The sequence the column draws from becomes the column's own (dropped with it); catalog-only.",
                     relations=rel)
        default = _step(change, ctx, StepKind.SET_DEFAULT, ddl.set_default, Hazard.SAFE,
                        "New rows draw from the column's own sequence, as before; existing rows are not touched.",
                        ddl.serial_default(table, new.name, scope))
        return [take, default, _sync_sequence(table, new.name, ctx, identity=False)]
    return [
        draft(Phase.COLUMNS, StepKind.CREATE_SEQUENCE, obj, ddl.create_owned_sequence(table, new, scope), Hazard.SAFE,
              "A new sequence, owned by the column (dropped with it).", relations=rel),
        _step(change, ctx, StepKind.SET_DEFAULT, ddl.set_default, Hazard.SAFE,
              "Only new rows draw from the sequence; existing rows are not touched.",
              ddl.serial_default(table, new.name, scope)),
        _sync_sequence(table, new.name, ctx, identity=False),
    ]


def _sync_sequence(table: str, column: str, ctx: Context, *, identity: bool, phase: Phase = Phase.COLUMNS) -> Step:
    # A new sequence starts at 1; without this, inserts collide with the existing values.
    return draft(phase, StepKind.SET_SEQUENCE, f"{table}.{column}",
                 ddl.set_sequence_past_values(table, column, ctx.scope, identity=identity), Hazard.SAFE,
                 "Moves the new sequence past the largest existing value (reads max, an index scan when the column "
                 "is indexed), under the lock the previous steps hold, so new rows do not collide.",
                 relations=(ctx.relation(table),))


def _expression_indexes(table: model.Table | None, column: str) -> tuple[str, ...]:
    """Indexes of the actual table whose key expressions or predicate mention the column."""
    if table is None:
        return ()
    found = []
    for index in table.indexes:
        texts = [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else [])
        columns = [referenced_columns(t) for t in texts]
        if any(c is None or column in c for c in columns):
            found.append(index.name)
    return tuple(found)


def _nullable(change: AlterColumn, ctx: Context) -> list[Step]:
    if "nullable" not in change.changes:
        return []
    if change.new.nullable:
        # PostgreSQL refuses DROP NOT NULL on a primary key column ("column is in a primary key"):
        # after the KEYS phase, where a swapped key lets go of its old columns.
        return [_step(change, ctx, StepKind.DROP_NOT_NULL, ddl.drop_not_null, Hazard.SAFE, "Catalog-only.",
                      phase=Phase.DROP_NOT_NULL)]
    return set_not_null_online(change.table, change.new.name, ctx)


def set_not_null_online(table: str, column: str, ctx: Context) -> list[Step]:
    """CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.

    PostgreSQL 12+ skips the full-table scan of SET NOT NULL when a valid CHECK
    constraint proves the column has no NULLs; VALIDATE scans without blocking
    writes. So the only long step holds a SHARE UPDATE EXCLUSIVE lock.
    """
    name = make_object_name(table, column, "not_null")
    check = model.CheckConstraint(name=name, expression=f"{quote_ident(column)} IS NOT NULL")
    obj, scope, rel = f"{table}.{column}", ctx.scope, (ctx.relation(table),)
    return [
        draft(Phase.CHECKS, StepKind.ADD_CHECK_NOT_VALID, obj, ddl.add_constraint(table, check, scope, not_valid=True),
              Hazard.SAFE, "A helper CHECK (col IS NOT NULL), NOT VALID: a brief lock, no scan.", relations=rel),
        draft(Phase.VALIDATE_CHECKS, StepKind.VALIDATE_CONSTRAINT, obj, ddl.validate_constraint(table, name, scope),
              Hazard.DATA, "Scans the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); "
              "fails if a row holds NULL.", relations=rel, isolated=True),
        draft(Phase.NOT_NULL, StepKind.SET_NOT_NULL, obj, ddl.set_not_null(table, column, scope), Hazard.SAFE,
              "The validated CHECK proves there is no NULL, so PostgreSQL 12+ skips the scan: a brief "
              "ACCESS EXCLUSIVE lock.", relations=rel),
        draft(Phase.NOT_NULL, StepKind.DROP_CHECK, obj, ddl.drop_constraint(table, name, scope), Hazard.SAFE,
              "The helper CHECK is no longer needed.", relations=rel),
    ]


def _identity(change: AlterColumn, ctx: Context) -> list[Step]:
    new = change.new
    if "identity" not in change.changes or new.identity is None:
        return []
    if change.old.identity:
        return [_step(change, ctx, StepKind.SET_IDENTITY, ddl.set_identity, Hazard.SAFE, "Catalog-only.", new.identity)]
    # ADD ... AS IDENTITY needs the column NOT NULL first: after SET NOT NULL when that changes too.
    phase = Phase.NOT_NULL if "nullable" in change.changes else Phase.COLUMNS
    return [_step(change, ctx, StepKind.ADD_IDENTITY, ddl.add_identity, Hazard.SAFE,
                  "Catalog-only (a brief ACCESS EXCLUSIVE lock): existing rows keep their values.", new.identity,
                  phase=phase),
            _sync_sequence(change.table, new.name, ctx, identity=True, phase=phase)]


RECREATED_EARLY = (" Dropped before the type change of a column it reads, which PostgreSQL refuses while it "
                   "exists, and added back after it in the same transaction.")


def _recreate(change: AlterColumn, ctx: Context) -> list[Step]:
    """PostgreSQL 15 cannot change a generation expression in place: drop the column and add it again.

    Generated from a column this plan retypes, it is dropped before that type change (PostgreSQL refuses
    it while the generated column exists) and added again after it (the differ puts it after the other
    columns), in the same transaction (``together``), so no other session sees the table without it.
    """
    table, new, scope = change.table, change.new, ctx.scope
    obj, rel = f"{table}.{new.name}", (ctx.relation(table),)
    _, reason = add_column_hazard(table, new)
    early = reads_retyped(table, change.old, ctx)
    steps = [
        draft(Phase.GENERATED_ASIDE if early else Phase.COLUMNS, StepKind.DROP_COLUMN, obj,
              ddl.drop_column(table, new.name, scope), Hazard.REWRITE,
              "The generated values are recomputed by the next step; indexes and constraints on the column are "
              "dropped with it and built again by this plan." + (RECREATED_EARLY if early else ""), relations=rel),
        draft(Phase.COLUMNS, StepKind.ADD_COLUMN, obj, ddl.add_column(table, new, scope), Hazard.REWRITE, reason,
              relations=rel),
    ]
    for index in change.indexes:  # DROP COLUMN took the old ones: built again before anyone sees the table
        steps.append(draft(Phase.COLUMNS, StepKind.CREATE_INDEX, index.name,
                           ddl.create_index(table, index, scope, concurrently=False), Hazard.LOCKS,
                           "Built in the transaction that adds the column back (plain CREATE INDEX, under the "
                           "ACCESS EXCLUSIVE lock it holds already), so the table is never without it.",
                           relations=(*rel, ctx.relation(index.name))))
        if index.comment is not None:
            steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, index.name,
                               ddl.comment_on("index", table, index.name, index.comment, scope), Hazard.SAFE,
                               "Catalog-only."))
    if new.comment is not None:
        steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, obj, ddl.comment_on("column", table, new.name, new.comment,
                                                                          scope), Hazard.SAFE, "Catalog-only."))
    if early:
        steps = [replace(s, together=f"recreate {obj}") if s.phase is not Phase.COMMENTS else s for s in steps]
    return steps
