"""Steps of an online type change (``RetypeOnline``): everything before the swap.

Per retyped column, in one short transaction: a shadow column of the new type (nullable, no
default: catalog-only) and a BEFORE INSERT OR UPDATE trigger that sets it to the converted value
of every row the application writes. Then the existing rows are backfilled in batches (the
promotion's engine: ``apply.backfill``, time-sized, paused, resumable, GIN pending lists merged),
the shadow is analyzed (its statistics are the column's once swapped), the column's CHECKs are
added on the shadow NOT VALID and validated (a helper CHECK (shadow IS NOT NULL) where the column
is NOT NULL), and its indexes and keys are built on it CONCURRENTLY under temporary names. The
swap and what follows it are ``plan.online_swap``.

Everything resumes: an interrupted apply leaves the shadow with its marker (``catalog.shadows``),
and the next plan starts from what it finds: no prepare once the shadow exists, the backfill from
its last finished batch, only the CHECKs and indexes not built yet (an INVALID one is dropped and
built again, one whose definition the YAML changed since too).
"""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import AbandonShadow, DropRetiredColumn, OnlineColumn, OnlineTable, RetypeOnline
from pgevolve.plan.context import Context, draft
from pgevolve.plan.promotion_steps import column_instance
from pgevolve.plan.steps import Batched, Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext import online_sql as sql
from pgevolve.sqltext.expression_facts import rename_column_refs, same_but_casts
from pgevolve.sqltext.ident import make_object_name, quote_ident, retype_name, sequence_name, temporary_index_name
from pgevolve.sqltext.type_changes import Conversion, conversion, parse_type
from pgevolve.sqltext.type_names import SERIAL_TYPES

SHADOW = ("The shadow column: the new version of `{column}`, of the new type, nullable and without a default, "
          "so adding it changes only the catalog (a brief ACCESS EXCLUSIVE lock, no row rewritten). It takes "
          "`{column}`'s place in the swap below.")
FUNCTION = ("The sync trigger's function: sets the shadow to the converted value of every row written; its "
            "settings (search_path, TimeZone, DateStyle, ...) are apply's, so a row the application writes "
            "converts as a backfilled one. Catalog-only.")
FUNCTION_PLAIN = ("The sync trigger's function: sets the shadow to the converted value of every row written (an "
                  "UPDATE that leaves the column as it was keeps a filled shadow). Catalog-only.")
MARKER = "Marks the function as pgevolve's, with the change it serves, so an interrupted apply is resumed."
TRIGGER = ("From now on every INSERT and UPDATE fills the shadow (a value that does not convert makes that write "
           "fail, as it would after an in-place change). A brief SHARE ROW EXCLUSIVE lock.")
WIDEN = ("The serial sequence takes the new type (its range) before the swap, while the column still uses "
         "it; catalog-only.")
FAILS = "Fails if a value does not convert (pre-checked with a count before anything runs)."
KEEPS = "Every value converts as it is: it cannot fail."
HELD = " It cannot fail: {} held for the old values, which the new column keeps as they were."
BACKFILL = ("Fills the shadows for the existing rows (one pass for all of the table's), in {how}, each its own "
            "short transaction under lock_timeout, sized to hold its row locks about --batch-time (default 75 ms, at "
            "most --batch-size rows): a writer "
            "waits at most for one short batch. The table's GIN pending lists are merged between batches. "
            "Progress is recorded in pgevolve.backfill_progress in each batch's transaction: a rerun after an "
            "interruption resumes after the last finished batch. " + FAILS)
ANALYZE = ("Statistics of the shadow, so that queries are planned well from the swap on (statistics belong to "
           "the column, and the shadow becomes it). Reads a sample under a SHARE UPDATE EXCLUSIVE lock: reads "
           "and writes go on.")
CHECK_ASIDE = ("A copy of {what} on the shadow, NOT VALID: a brief ACCESS EXCLUSIVE lock, no scan; rows written "
               "from now on are checked. It takes the original's place in the swap.")
NOT_NULL_ASIDE = ("A helper CHECK (shadow IS NOT NULL), NOT VALID: a brief lock, no scan. Once validated, it lets "
                  "SET NOT NULL in the swap skip its scan.")
VALIDATE_ASIDE = "Scans the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on); fails if {}."
INDEX_ASIDE = ("A copy of {what} built on the shadow CONCURRENTLY under a temporary name (reads and writes go on); "
               "{failure} It takes the original's place in the swap.")
REBUILT = "An interrupted run left it INVALID, or built it to a definition the YAML has changed since: dropped first."


def before_swap(change: RetypeOnline, ctx: Context) -> list[Step]:
    """Prepare, backfill, and build aside, table by table (``online_swap`` then swaps)."""
    steps: list[Step] = []
    for table in change.tables:
        for column in table.columns:
            steps += _prepare(table, column, ctx)
        steps += _backfill(table, ctx)
        steps += _checks_aside(table, ctx)
        steps += _indexes_aside(table, ctx)
    return steps


def is_explicit(column: OnlineColumn) -> bool:
    """No assignment cast from the old type to the new one: the conversion is written as a cast."""
    old, new = (SERIAL_TYPES.get(t.lower(), t) for t in (column.old.type, column.new.type))
    return conversion(old, new) is Conversion.EXPLICIT


def shadow_type(column: OnlineColumn) -> str:
    return SERIAL_TYPES.get(column.new.type.lower(), column.new.type)


def keeps_values(column: OnlineColumn) -> bool:
    """The conversion keeps every value as it is (integer -> bigint, varchar widened): it cannot fail, and
    what held for the old values (unique, a CHECK, NOT NULL, a foreign key) holds for the new ones."""
    if column.using is not None:
        return False
    old, new = (SERIAL_TYPES.get(t.lower(), t) for t in (column.old.type, column.new.type))
    return conversion(old, new) in (Conversion.COERCIBLE, Conversion.WIDENING)


def carried_over(table: OnlineTable, columns: frozenset[str]) -> bool:
    """Every retyped column among ``columns`` keeps its values."""
    return all(keeps_values(c) for c in table.columns if c.new.name in columns)


def trigger_name(table: str, column: OnlineColumn) -> str:
    """The sync trigger's (and its function's) name: the catalog's when an earlier run made it."""
    return column.progress.function if column.progress and column.progress.function else retype_name(
        table, column.new.name)


def marker(table: str, column: OnlineColumn, *, backfilled: bool) -> model.ShadowColumn:
    return model.ShadowColumn(table=table, column=column.new.name, shadow=column.shadow, type=shadow_type(column),
                              using=column.using, backfilled=backfilled, function=trigger_name(table, column))


def _prepare(table: OnlineTable, column: OnlineColumn, ctx: Context) -> list[Step]:
    obj, rel, schema = f"{table.name}.{column.new.name}", (ctx.relation(table.name),), ctx.scope.schema
    steps = []
    if column.progress is None:
        together = f"prepare {table.name}.{column.new.name}"
        shadow = model.Column(name=column.shadow, type=shadow_type(column), collation=column.new.collation)
        new_type = ctx.scope.type(shadow_type(column))
        value = sql.converted(column.old.name, new_type, column.using, explicit=is_explicit(column), row="NEW")
        name = trigger_name(table.name, column)
        old_base, new_base = (parse_type(SERIAL_TYPES.get(t.lower(), t)).base for t in (column.old.type,
                                                                                           column.new.type))
        plain = column.using is None
        unchanged = sql.unchanged_condition(column.old.name) if plain and sql.comparable(old_base) else None
        frozen = not plain or sql.reads_settings(old_base, new_base)
        steps += [
            draft(Phase.COLUMNS, StepKind.ADD_COLUMN, f"{table.name}.{column.shadow}",
                  ddl.add_column(table.name, shadow, ctx.scope), Hazard.SAFE, SHADOW.format(column=column.new.name),
                  relations=rel, together=together),
            draft(Phase.COLUMNS, StepKind.CREATE_SYNC_FUNCTION, obj,
                  sql.create_retype_function(schema, name, column.shadow, value, unchanged=unchanged, frozen=frozen),
                  Hazard.SAFE, FUNCTION if frozen else FUNCTION_PLAIN,
                  relations=rel, together=together),
            draft(Phase.COLUMNS, StepKind.COMMENT, obj,
                  sql.comment_retype_function(schema, marker(table.name, column, backfilled=False)), Hazard.SAFE,
                  MARKER, relations=rel, together=together),
            draft(Phase.COLUMNS, StepKind.CREATE_SYNC_TRIGGER, obj, sql.create_retype_trigger(schema, table.name, name),
                  Hazard.SAFE, TRIGGER, relations=rel, together=together),
        ]
    steps += _widen_sequence(table, column, ctx)
    return steps


def _widen_sequence(table: OnlineTable, column: OnlineColumn, ctx: Context) -> list[Step]:
    """A serial column staying serial: its sequence takes the new integer type before the swap moves it."""
    old_serial = ddl.serial_type(table.name, column.old)
    new_serial = ddl.serial_type(table.name, column.new)
    if not (old_serial and new_serial and old_serial != new_serial):
        return []
    sequence = sequence_name(table.name, column.old.name)
    return [draft(Phase.COLUMNS, StepKind.ALTER_SEQUENCE, f"{table.name}.{column.new.name}",
                  ddl.alter_sequence_type(sequence, ddl.serial_base(column.new.type), ctx.scope), Hazard.SAFE, WIDEN,
                  relations=(ctx.relation(table.name),))]


def _backfill(table: OnlineTable, ctx: Context) -> list[Step]:
    """One batched pass fills every shadow of the table that needs it; then the shadows are analyzed."""
    name, schema = table.name, ctx.scope.schema
    qualified, rel = ctx.scope.name(name), (ctx.relation(name),)
    pending_columns = [c for c in table.columns if c.progress is None or not c.progress.backfilled]
    steps = []
    if pending_columns:
        sets, pendings = [], []
        for column in pending_columns:
            new_type = ctx.scope.type(shadow_type(column))
            value = sql.converted(column.old.name, new_type, column.using, explicit=is_explicit(column))
            sets.append(f"{quote_ident(column.shadow)} = {value}")
            needs = sql.needs_value(column.old.name, column.using)
            pendings.append(f"{quote_ident(column.shadow)} IS NULL AND {needs}")
        update = f"UPDATE {qualified} SET {', '.join(sets)}"
        pending = pendings[0] if len(pendings) == 1 else "(" + " OR ".join(f"({p})" for p in pendings) + ")"
        columns = [c.new.name for c in pending_columns]
        batch = Batched(
            target=f"retype {schema}.{name}.{'+'.join(columns)}", table=qualified,
            key_columns=tuple(quote_ident(k) for k in table.key_columns),
            key_types=tuple(SERIAL_TYPES.get(t.lower(), t) for t in table.key_types),
            update=update, pending=pending, instance=column_instance(qualified, pending_columns[0].shadow),
            finish=";\n".join(sql.comment_retype_function(schema, marker(name, c, backfilled=True))
                              for c in pending_columns),
            bounded=True,
        )
        how = "primary-key batches" if table.key_columns else "batches of page ranges (the table has no primary key)"
        hazard, reason = Hazard.DATA, BACKFILL.format(how=how)
        if all(keeps_values(c) for c in pending_columns):
            hazard, reason = Hazard.SAFE, reason.replace(FAILS, KEEPS)
        steps.append(draft(Phase.COLUMNS, StepKind.BACKFILL, f"{name}.{'+'.join(columns)}",
                           f"{update} WHERE {pending}", hazard, reason, transactional=False, relations=rel,
                           batch=batch))
    shadows = ", ".join(quote_ident(c.shadow) for c in table.columns)
    steps.append(draft(Phase.COLUMNS, StepKind.ANALYZE, f"{name}.{'+'.join(c.shadow for c in table.columns)}",
                       f"ANALYZE {qualified} ({shadows})", Hazard.SAFE, ANALYZE, transactional=False, relations=rel))
    return steps


# -- built aside ------------------------------------------------------------------------------

def on_shadows(text: str | None, table: OnlineTable) -> str | None:
    """An expression with each retyped column's references spelled as its shadow (as the server prints them)."""
    for column in table.columns:
        if text is not None:
            text = rename_column_refs(text, column.new.name, column.shadow) or text
    return text


def _from_shadows(text: str | None, table: OnlineTable) -> str | None:
    for column in table.columns:
        if text is not None:
            text = rename_column_refs(text, column.shadow, column.new.name) or text
    return text


def index_on_shadows(index: model.Index, table: OnlineTable, *, name: str | None = None) -> model.Index:
    swap = {c.new.name: c.shadow for c in table.columns}
    keys = tuple(replace(k, column=swap.get(k.column, k.column)) if k.column
                 else replace(k, expression=on_shadows(k.expression, table)) for k in index.keys)
    return replace(index, name=name or index.name, keys=keys, include=tuple(swap.get(c, c) for c in index.include),
                   where=on_shadows(index.where, table), comment=None)


def _index_from_shadows(index: model.Index, table: OnlineTable) -> model.Index:
    back = {c.shadow: c.new.name for c in table.columns}
    keys = tuple(replace(k, column=back.get(k.column, k.column)) if k.column
                 else replace(k, expression=_from_shadows(k.expression, table)) for k in index.keys)
    return replace(index, keys=keys, include=tuple(back.get(c, c) for c in index.include),
                   where=_from_shadows(index.where, table))


def helper_check_name(table: str, column: OnlineColumn) -> str:
    return make_object_name(table, column.shadow, "not_null")


def aside_checks(table: OnlineTable) -> list[tuple[model.CheckConstraint, model.CheckConstraint | None]]:
    """(the CHECK as built on the shadows, the desired CHECK it stands for; None: the helper NOT NULL CHECK)."""
    found: list[tuple[model.CheckConstraint, model.CheckConstraint | None]] = [
        (model.CheckConstraint(name=temporary_index_name(c.name), expression=on_shadows(c.expression, table)
                               or c.expression), c) for c in table.new_checks]
    found += [(model.CheckConstraint(name=helper_check_name(table.name, c),
                                     expression=f"{quote_ident(c.shadow)} IS NOT NULL"), None)
              for c in table.columns if not c.new.nullable]
    return found


def _progress_checks(table: OnlineTable) -> dict[str, model.CheckConstraint]:
    return {c.name: c for col in table.columns if col.progress for c in col.progress.checks}


def _checks_aside(table: OnlineTable, ctx: Context) -> list[Step]:
    rel, found, steps = (ctx.relation(table.name),), _progress_checks(table), []
    for check, wanted in aside_checks(table):
        what = f"the CHECK `{wanted.name}`" if wanted is not None else ""
        have = found.get(check.name)
        same = have is not None and same_but_casts(have.expression, check.expression)
        obj = f"{table.name}.{check.name}"
        if have is not None and not same:
            steps.append(draft(Phase.CHECKS, StepKind.DROP_CHECK, obj, ddl.drop_constraint(table.name, check.name,
                                                                                           ctx.scope),
                               Hazard.SAFE, REBUILT, relations=rel))
        if have is None or not same:
            reason = CHECK_ASIDE.format(what=what) if what else NOT_NULL_ASIDE
            steps.append(draft(Phase.CHECKS, StepKind.ADD_CHECK_NOT_VALID, obj,
                               ddl.add_constraint(table.name, check, ctx.scope, not_valid=True), Hazard.SAFE, reason,
                               relations=rel))
        if have is None or not same or not have.valid:
            failure = "an existing row violates the check" if what else "the shadow holds NULL where the column may not"
            hazard, reason = Hazard.DATA, VALIDATE_ASIDE.format(failure)
            held = _held_check(table, wanted, check)
            if held:
                hazard, reason = Hazard.SAFE, reason + HELD.format(held)
            steps.append(draft(Phase.VALIDATE_CHECKS, StepKind.VALIDATE_CONSTRAINT, obj,
                               ddl.validate_constraint(table.name, check.name, ctx.scope), hazard, reason,
                               isolated=True, relations=rel))
    return steps


def _held_check(table: OnlineTable, wanted: model.CheckConstraint | None, aside: model.CheckConstraint) -> str:
    """What makes the CHECK on the shadow unable to fail ("" when nothing does)."""
    if wanted is None:  # the helper NOT NULL CHECK
        column = next(c for c in table.columns if helper_check_name(table.name, c) == aside.name)
        return "NOT NULL" if keeps_values(column) and not column.old.nullable else ""
    old = next((c for c in table.old_checks if c.name == wanted.name), None)
    if old is None or not old.valid or not same_but_casts(old.expression, wanted.expression):
        return ""
    return f"the CHECK `{old.name}`" if carried_over(table, frozenset(c.new.name for c in table.columns)) else ""


def _held_unique(table: OnlineTable, wanted: model.Index | model.PrimaryKey | model.UniqueConstraint) -> bool:
    """A unique index on the shadows whose keys were already unique on the old columns, which kept their values."""
    if isinstance(wanted, model.Index):
        held = any(i.unique and i.name == wanted.name and (i.keys, i.where, i.include) ==
                   (wanted.keys, wanted.where, wanted.include) for i in table.old_indexes)
        columns = frozenset(k.column for k in wanted.keys if k.column)
    else:
        keys = [k for k in (table.old_primary_key, *table.old_uniques) if k is not None]
        held = any(k.name == wanted.name and k.columns == wanted.columns for k in keys)
        columns = frozenset(wanted.columns)
    return held and carried_over(table, columns)


def aside_indexes(table: OnlineTable) -> list[tuple[model.Index, str, model.Index | model.PrimaryKey |
                                                   model.UniqueConstraint]]:
    """(the index as built on the shadows, what it stands for, the desired object) for the swap to attach."""
    found: list[tuple[model.Index, str, model.Index | model.PrimaryKey | model.UniqueConstraint]] = []
    if table.new_primary_key is not None:
        key = table.new_primary_key
        found.append((index_on_shadows(model.key_index(key), table, name=temporary_index_name(key.name)),
                      f"the primary key `{key.name}`", key))
    for unique in table.new_uniques:
        found.append((index_on_shadows(model.key_index(unique), table, name=temporary_index_name(unique.name)),
                      f"the UNIQUE constraint `{unique.name}`", unique))
    for index in table.new_indexes:
        found.append((index_on_shadows(index, table, name=temporary_index_name(index.name)),
                      f"the index `{index.name}`", index))
    return found


def _indexes_aside(table: OnlineTable, ctx: Context) -> list[Step]:
    have = {i.name: i for c in table.columns if c.progress for i in c.progress.indexes}
    steps = []
    for index, what, wanted in aside_indexes(table):
        rel = (ctx.relation(table.name), ctx.relation(index.name))
        found = have.get(index.name)
        if found is not None and found.valid and _index_from_shadows(replace(found, comment=None), table) == \
                _index_from_shadows(index, table):
            continue
        if found is not None:
            steps.append(draft(Phase.INDEXES, StepKind.DROP_INDEX_CONCURRENTLY, index.name,
                               ddl.drop_index(index.name, ctx.scope, concurrently=True), Hazard.SAFE, REBUILT,
                               transactional=False, relations=rel))
        failure = ("fails if the converted values hold duplicates." if index.unique else
                   "a failed build leaves an INVALID index that the next plan drops and builds again.")
        hazard = Hazard.DATA if index.unique else Hazard.SAFE
        if index.unique and _held_unique(table, wanted):
            hazard, failure = Hazard.SAFE, ("it cannot fail on duplicates: the old values were unique, and the new "
                                            "column keeps them as they were.")
        steps.append(draft(Phase.INDEXES, StepKind.CREATE_INDEX_CONCURRENTLY, index.name,
                           ddl.create_index(table.name, index, ctx.scope, concurrently=True), hazard,
                           INDEX_ASIDE.format(what=what, failure=failure), transactional=False, relations=rel))
    return steps


# -- what an interrupted run left -------------------------------------------------------------

ABANDONED = ("An online type change an interrupted apply left half-way, which the YAML no longer asks for (or asks "
             "for otherwise, or whose table or columns this plan renames: its trigger names them): {}. pgevolve's "
             "own objects; the column itself is untouched.")


def abandon_shadow(change: AbandonShadow, ctx: Context) -> list[Step]:
    """The shadow's trigger and function, then the shadow column (its indexes and CHECKs go with it)."""
    shadow, schema = change.shadow, ctx.scope.schema
    obj, rel = f"{shadow.table}.{shadow.column}", (ctx.relation(shadow.table),)
    name = shadow.function or retype_name(shadow.table, shadow.column)
    steps = [
        draft(Phase.CLEANUP, StepKind.DROP_SYNC_TRIGGER, obj, sql.drop_retype_trigger(schema, shadow.table, name),
              Hazard.SAFE, ABANDONED.format("its sync trigger (a brief SHARE ROW EXCLUSIVE lock)"), relations=rel),
        draft(Phase.CLEANUP, StepKind.DROP_SYNC_FUNCTION, obj, sql.drop_retype_function(schema, name), Hazard.SAFE,
              ABANDONED.format("the trigger's function"), relations=rel),
    ]
    if shadow.shadow:
        steps.append(draft(Phase.CLEANUP, StepKind.DROP_COLUMN, f"{shadow.table}.{shadow.shadow}",
                           ddl.drop_column(shadow.table, shadow.shadow, ctx.scope), Hazard.SAFE,
                           ABANDONED.format("the shadow column, with what was built on it (catalog-only, a brief "
                                            "ACCESS EXCLUSIVE lock)"), relations=rel))
    return steps


RETIRED_DROPPED = ("The old column of an online type change that an interrupted apply finished swapping: its values "
                   "are in `{column}`, converted as declared. Catalog-only, a brief ACCESS EXCLUSIVE lock.")
RETIRED_DROPPED_LOSSY = ("The old column of an online type change that an interrupted apply finished swapping; the "
                         "conversion rounded or narrowed its values, so the originals are gone from here on. "
                         "Catalog-only, a brief ACCESS EXCLUSIVE lock.")


def drop_retired_column(change: DropRetiredColumn, ctx: Context) -> list[Step]:
    retired = change.column
    reason = (RETIRED_DROPPED_LOSSY if retired.lossy else RETIRED_DROPPED).format(column=retired.replaced_by)
    return [draft(Phase.CLEANUP, StepKind.DROP_COLUMN, f"{retired.table}.{retired.name}",
                  ddl.drop_column(retired.table, retired.name, ctx.scope),
                  Hazard.DESTRUCTIVE if retired.lossy else Hazard.SAFE, reason,
                  relations=(ctx.relation(retired.table),))]
