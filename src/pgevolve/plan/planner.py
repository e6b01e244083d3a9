"""make_plan(actual, desired, hints): the changes, turned into ordered, hazard-labelled steps.

Order: fixed phases (``steps.Phase``), then within a phase the transactional
steps before the ones that must run outside a transaction (so that they share
one transaction), then the table name, then the change's place in the diff and
the step's place in its change. The same input always gives the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import assert_never

from pgevolve import model
from pgevolve.changes import (
    AbandonShadow,
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterForeignKey,
    Change,
    CreateEnum,
    CreateExtension,
    CreateIndex,
    CreatePrerequisite,
    CreateSchema,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropRetiredColumn,
    DropSyncTrigger,
    DropTable,
    DropUnique,
    PromoteColumn,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSyncTrigger,
    RenameTable,
    ReplaceEnum,
    ReplaceIndex,
    ReplaceKey,
    RetypeOnline,
    SetComment,
    SetExtensionSchema,
    SetReplicaIdentity,
    SetStorage,
    ValidateConstraint,
    table_of,
)
from pgevolve.diff import diff_and_match
from pgevolve.plan import (
    column_steps,
    key_steps,
    online_steps,
    online_swap,
    promotion_steps,
    swap_steps,
    table_steps,
    type_steps,
)
from pgevolve.plan.context import Context
from pgevolve.plan.prechecks import prechecks_for
from pgevolve.plan.steps import Plan, Precheck, Step, StepKind
from pgevolve.plan.summary import summarize


def make_plan(actual: model.Database, desired: model.Database, hints: model.Hints | None = None) -> Plan:
    """The plan that turns ``actual`` into ``desired``."""
    changes, matched = diff_and_match(actual, desired, hints)
    return plan_changes(changes, actual, matched)


def plan_changes(changes: Sequence[Change], actual: model.Database, desired: model.Database) -> Plan:
    """Steps for the given changes, in plan order."""
    ctx = Context.of(actual, desired, changes)
    rehooked = _rehooked_foreign_keys(changes)
    keyed: list[tuple[tuple[int, bool, str, int, int], Step]] = []
    for index, change in enumerate(changes):
        summary = summarize(change)
        steps = _with_prechecks(steps_for(change, ctx), tuple(prechecks_for([change], actual, desired)))
        for ordinal, step in enumerate(steps):
            key = (step.phase.value, not step.transactional, table_of(change) or "", index, ordinal)
            if isinstance(change, AddForeignKey) and step.kind is StepKind.ADD_FOREIGN_KEY_NOT_VALID:
                step = replace(step, together=rehooked.get((change.table, change.foreign_key.name), step.together))
            keyed.append((key, replace(step, summary=summary, change=change)))
    keyed.sort(key=lambda pair: pair[0])
    return Plan(steps=tuple(step for _, step in keyed))


def _rehooked_foreign_keys(changes: Sequence[Change]) -> dict[tuple[str, str], str]:
    """Foreign keys a key or index swap unhooks, with the swap's transaction tag: added back NOT VALID in
    that same transaction (nothing runs outside one between the swap and them), never a batch later."""
    found = {}
    for change in changes:
        if isinstance(change, ReplaceKey | ReplaceIndex):
            for table, fk in change.foreign_keys:
                found[(table, fk.name)] = f"swap {change.table}.{change.new.name}"
    return found


def _with_prechecks(steps: list[Step], checks: tuple[Precheck, ...]) -> list[Step]:
    """The change's pre-checks go with its first most hazardous step: the one existing rows can break."""
    if not checks or not steps:
        return steps
    riskiest = max(range(len(steps)), key=lambda i: (steps[i].hazard.severity, -i))
    return [replace(step, prechecks=checks) if i == riskiest else step for i, step in enumerate(steps)]


def steps_for(change: Change, ctx: Context) -> list[Step]:
    """The statements of one change, in the order they must run."""
    match change:
        case CreateSchema():
            return type_steps.create_schema(change, ctx)
        case CreateExtension():
            return type_steps.create_extension(change, ctx)
        case SetExtensionSchema():
            return type_steps.set_extension_schema(change, ctx)
        case CreatePrerequisite():
            return type_steps.create_prerequisite(change, ctx)
        case CreateEnum():
            return type_steps.create_enum(change, ctx)
        case AddEnumValue():
            return type_steps.add_enum_value(change, ctx)
        case ReplaceEnum():
            return type_steps.replace_enum(change, ctx)
        case DropEnum():
            return type_steps.drop_enum(change, ctx)
        case CreateTable():
            return table_steps.create_table(change, ctx)
        case DropTable():
            return table_steps.drop_table(change, ctx)
        case RenameTable():
            return table_steps.rename_table(change, ctx)
        case SetStorage():
            return table_steps.set_storage(change, ctx)
        case SetReplicaIdentity():
            return table_steps.set_replica_identity(change, ctx)
        case AddColumn():
            return table_steps.add_column(change, ctx)
        case DropColumn():
            return table_steps.drop_column(change, ctx)
        case RenameColumn():
            return table_steps.rename_column(change, ctx)
        case AlterColumn():
            return column_steps.alter_column(change, ctx)
        case AddPrimaryKey() | AddUnique():
            return key_steps.add_key(change, ctx)
        case ReplaceKey():
            return swap_steps.replace_key(change, ctx)
        case AddCheck():
            return key_steps.add_check(change, ctx)
        case AddForeignKey():
            return key_steps.add_foreign_key(change, ctx)
        case AlterForeignKey():
            return swap_steps.alter_foreign_key(change, ctx)
        case ValidateConstraint():
            return key_steps.validate_constraint(change, ctx)
        case DropPrimaryKey() | DropUnique() | DropCheck() | DropForeignKey():
            return key_steps.drop_constraint(change, ctx)
        case RenameConstraint():
            return key_steps.rename_constraint(change, ctx)
        case CreateIndex():
            return key_steps.create_index(change, ctx)
        case DropIndex():
            return key_steps.drop_index(change, ctx)
        case ReplaceIndex():
            return swap_steps.replace_index(change, ctx)
        case RenameIndex():
            return key_steps.rename_index(change, ctx)
        case SetComment():
            return type_steps.set_comment(change, ctx)
        case PromoteColumn():
            return promotion_steps.promote_column(change, ctx)
        case DropSyncTrigger():
            return promotion_steps.drop_sync_trigger(change, ctx)
        case RenameSyncTrigger():
            return promotion_steps.rename_sync_trigger(change, ctx)
        case RetypeOnline():
            return online_swap.retype_online(change, ctx)
        case DropRetiredColumn():
            return online_steps.drop_retired_column(change, ctx)
        case AbandonShadow():
            return online_steps.abandon_shadow(change, ctx)
        case _:
            assert_never(change)
