"""Steps for the schema, extensions, enum types and comments."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import (
    AddEnumValue,
    CreateEnum,
    CreateExtension,
    CreatePrerequisite,
    CreateSchema,
    DropEnum,
    ReplaceEnum,
    SetComment,
    SetExtensionSchema,
)
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext.ident import make_object_name
from pgevolve.sqltext.prerequisites import run_text


def create_schema(change: CreateSchema, ctx: Context) -> list[Step]:
    return [draft(Phase.SCHEMA, StepKind.CREATE_SCHEMA, change.name, ddl.create_schema(change.name), Hazard.SAFE,
                  "Creates the owned schema unless it exists.")]


def create_extension(change: CreateExtension, ctx: Context) -> list[Step]:
    sql = ddl.create_extension(change.extension, ctx.scope)
    where = change.extension.schema
    steps = []
    if where is not None and where != ctx.scope.schema:
        # WITH SCHEMA needs the schema to exist; an extensions schema is often made for it alone.
        steps.append(draft(Phase.SCHEMA, StepKind.CREATE_SCHEMA, where, ddl.create_schema(where), Hazard.SAFE,
                           "Creates the extension's schema unless it exists."))
    return [*steps, draft(Phase.EXTENSIONS, StepKind.CREATE_EXTENSION, change.extension.name, sql, Hazard.SAFE,
                          "Installs the extension's functions and types; no table is touched.")]


def set_extension_schema(change: SetExtensionSchema, ctx: Context) -> list[Step]:
    sql = ddl.set_extension_schema(change.name, change.new_schema or ctx.scope.schema)
    return [draft(Phase.EXTENSIONS, StepKind.ALTER_EXTENSION, change.name, sql, Hazard.LOCKS,
                  "Moves the extension's functions and types; SQL that names them by the old schema breaks.")]


def create_prerequisite(change: CreatePrerequisite, ctx: Context) -> list[Step]:
    # After the enums (a domain may be of one), before the tables (a default or generated column may call it).
    item = change.prerequisite
    return [draft(Phase.ENUMS, StepKind.CREATE_PREREQUISITE, item.name, run_text(item), Hazard.SAFE,
                  "Creates an object the tables need, from prerequisites.sql (the DBA's SQL, run as written); "
                  "no table is touched.")]


def create_enum(change: CreateEnum, ctx: Context) -> list[Step]:
    enum = change.enum
    steps = [draft(Phase.ENUMS, StepKind.CREATE_ENUM, enum.name, ddl.create_enum(enum, ctx.scope), Hazard.SAFE,
                   "Creates a new type; no table is touched.")]
    if enum.comment is not None:
        steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, enum.name,
                           ddl.comment_on("type", None, enum.name, enum.comment, ctx.scope), Hazard.SAFE,
                           "Catalog-only."))
    return steps


def add_enum_value(change: AddEnumValue, ctx: Context) -> list[Step]:
    # A value added in a transaction cannot be used before that transaction commits:
    # run it on its own, first of all, so later steps (defaults, checks) may use it.
    sql = ddl.add_enum_value(change.enum, change.value, ctx.scope, before=change.before, after=change.after)
    return [draft(Phase.ENUM_VALUES, StepKind.ADD_ENUM_VALUE, f"{change.enum}.{change.value}", sql, Hazard.SAFE,
                  "Catalog-only; runs outside a transaction so that later steps can use the new value.",
                  transactional=False)]


DEPENDENT_DROPPED = ("Its expression casts to the old type, which PostgreSQL cannot re-parse against the new one: "
                     "dropped in the transaction that converts the columns and made again in it, so no other "
                     "session sees the table without it.")
DEPENDENT_INDEX_MADE = ("Built in the transaction that converts the columns (plain CREATE INDEX: CONCURRENTLY cannot "
                        "run in a transaction): the table is never without it, and writes wait for the build, "
                        "as they wait for the conversion.")
DEPENDENT_CHECK_MADE = ("In the transaction that converts the columns, NOT VALID: new rows are checked from its "
                        "commit; existing rows are checked by VALIDATE below.")


def replace_enum(change: ReplaceEnum, ctx: Context) -> list[Step]:
    """Rename the old type aside, create the new one, convert each column through text, drop the old type.

    The indexes and CHECKs that cast to the type are dropped first and made again after the
    conversion, all in one transaction (``together``): other sessions see the old state or the new.
    """
    name, scope = change.new.name, ctx.scope
    aside = make_object_name(name, None, "pgevolve_old")
    steps = _drop_dependents(change, ctx)
    steps += [
        draft(Phase.ENUMS, StepKind.RENAME_ENUM, name, ddl.rename_type(name, aside, scope), Hazard.SAFE,
              "Moves the old type aside; the columns still use it until converted below."),
        draft(Phase.ENUMS, StepKind.CREATE_ENUM, name, ddl.create_enum(change.new, scope), Hazard.SAFE,
              "Creates the type with the new list of values."),
    ]
    removes = bool(set(change.old.values) - set(change.new.values))
    for table, column in change.columns:
        steps += _convert_column(table, column, ctx, removes=removes)
    steps += _make_dependents(change, ctx)
    steps.append(draft(Phase.ENUMS, StepKind.DROP_ENUM, aside, ddl.drop_type(aside, scope), Hazard.SAFE,
                       "No column uses the old type any more."))
    together = f"rebuild {name}"
    return [replace(s, together=together) if s.phase is Phase.ENUMS else s for s in steps]


def _drop_dependents(change: ReplaceEnum, ctx: Context) -> list[Step]:
    steps = [draft(Phase.ENUMS, StepKind.DROP_CONSTRAINT, f"{table}.{check.name}",
                   ddl.drop_constraint(table, check.name, ctx.scope), Hazard.SAFE, DEPENDENT_DROPPED,
                   relations=(ctx.relation(table),))
             for table, check, _ in change.checks]
    steps += [draft(Phase.ENUMS, StepKind.DROP_INDEX, index.name,
                    ddl.drop_index(index.name, ctx.scope, concurrently=False), Hazard.SAFE, DEPENDENT_DROPPED,
                    relations=(ctx.relation(table), ctx.relation(index.name)))
              for table, index, _ in change.indexes]
    return steps


def _make_dependents(change: ReplaceEnum, ctx: Context) -> list[Step]:
    steps: list[Step] = []
    for table, _, index in change.indexes:
        if index is None:
            continue
        steps.append(draft(Phase.ENUMS, StepKind.CREATE_INDEX, index.name,
                           ddl.create_index(table, index, ctx.scope, concurrently=False), Hazard.LOCKS,
                           DEPENDENT_INDEX_MADE, relations=(ctx.relation(table), ctx.relation(index.name))))
        if index.comment is not None:
            steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, index.name,
                               ddl.comment_on("index", table, index.name, index.comment, ctx.scope), Hazard.SAFE,
                               "Catalog-only."))
    for table, _, check in change.checks:
        if check is None:
            continue
        rel = (ctx.relation(table),)
        steps.append(draft(Phase.ENUMS, StepKind.ADD_CHECK_NOT_VALID, f"{table}.{check.name}",
                           ddl.add_constraint(table, check, ctx.scope, not_valid=True), Hazard.SAFE,
                           DEPENDENT_CHECK_MADE, relations=rel))
        if check.valid:
            steps.append(draft(Phase.VALIDATE_CHECKS, StepKind.VALIDATE_CONSTRAINT, f"{table}.{check.name}",
                               ddl.validate_constraint(table, check.name, ctx.scope), Hazard.DATA,
                               "Scans the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); "
                               "fails if an existing row violates the check.", isolated=True, relations=rel))
    return steps


def _convert_column(table: str, column: model.Column, ctx: Context, *, removes: bool) -> list[Step]:
    obj, rel, scope = f"{table}.{column.name}", (ctx.relation(table),), ctx.scope
    steps = []
    if column.default is not None:  # the default names the old type: set aside, set again after
        steps.append(draft(Phase.ENUMS, StepKind.DROP_DEFAULT, obj, ddl.drop_default(table, column.name, scope),
                           Hazard.SAFE, "Set aside while the column changes type.", relations=rel))
    if removes:
        hazard, reason = Hazard.DATA, ("Rewrites the table under an ACCESS EXCLUSIVE lock; fails if a row holds a "
                                       "value the new type no longer has.")
    else:  # only the order changes: every value exists in the new type, the conversion cannot fail
        hazard, reason = Hazard.REWRITE, ("Rewrites the table and its indexes under an ACCESS EXCLUSIVE lock; every "
                                          "value converts, but ORDER BY and comparisons on the column follow the new "
                                          "order.")
    steps.append(draft(Phase.ENUMS, StepKind.ALTER_COLUMN_TYPE, obj, ddl.retype_through_text(table, column, scope),
                       hazard, reason, relations=rel))
    default = _desired_default(table, column.name, ctx)
    if column.default is not None and default is not None:
        steps.append(draft(Phase.ENUMS, StepKind.SET_DEFAULT, obj, ddl.set_default(table, column.name, default, scope),
                           Hazard.SAFE, "The default again, now of the new type.", relations=rel))
    return steps


def _desired_default(table: str, column: str, ctx: Context) -> str | None:
    """The desired default (the old one may name a value that is gone); None when the column goes away."""
    wanted = ctx.desired.table(table)
    found = wanted.column(column) if wanted else None
    return found.default if found else None


def drop_enum(change: DropEnum, ctx: Context) -> list[Step]:
    return [draft(Phase.DROP_ENUMS, StepKind.DROP_ENUM, change.enum.name, ddl.drop_type(change.enum.name, ctx.scope),
                  Hazard.DESTRUCTIVE, "Drops the type (after every column that used it).")]


def set_comment(change: SetComment, ctx: Context) -> list[Step]:
    sql = ddl.comment_on(change.target, change.table, change.name, change.comment, ctx.scope)
    obj = f"{change.table}.{change.name}" if change.target == "column" else change.name
    return [draft(Phase.COMMENTS, StepKind.COMMENT, obj, sql, Hazard.SAFE, "Catalog-only.")]
