"""Steps that replace a key or an index without a moment in which the table lacks it.

The new unique index is built CONCURRENTLY under a temporary name while the old
one still holds; only then is the old one dropped and the new one given its
name, in a short transaction for a key. An interrupted run leaves either the old
state plus a finished (or INVALID) temporary index, or the new state: the next
plan reuses a valid temporary index (``diff.reuse``) and drops an INVALID one.
"""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import AlterForeignKey, ReplaceIndex, ReplaceKey
from pgevolve.diff.online import rewrites
from pgevolve.plan.context import Context, draft
from pgevolve.plan.steps import Hazard, Phase, Step, StepKind
from pgevolve.sqltext import ddl
from pgevolve.sqltext.expression_facts import referenced_columns
from pgevolve.sqltext.ident import temporary_index_name

BUILD_ASIDE = ("Built CONCURRENTLY under a temporary name while the old {} still holds (reads and writes go on); "
               "{}")
UNIQUE_FAILS = "fails if the columns hold duplicate values."
PLAIN_FAILS = "a failed build leaves an INVALID index that the next plan drops and builds again."
FK_UNHOOKED = ("Dropped in the same transaction as the swap below (PostgreSQL cannot drop the {} while this foreign "
               "key depends on it); added again NOT VALID right after, so new rows stay checked.")
KEY_DROPPED = ("A brief ACCESS EXCLUSIVE lock; in the same transaction as the attach below, so the table is never "
               "without the key.")
KEY_ATTACHED = ("Attaches the index built above as the new constraint, which renames it to `{new}`: a brief ACCESS "
                "EXCLUSIVE lock, no scan.")
KEY_RESUMED = ("Attaches the index that an interrupted earlier run built under the temporary name as the new "
               "constraint, which renames it to `{new}`: a brief ACCESS EXCLUSIVE lock, no scan, nothing rebuilt.")
KEY_REUSED = ("Attaches the existing unique index `{index}`, which has exactly the new definition, as the new "
              "constraint (PostgreSQL renames it `{new}`): a brief ACCESS EXCLUSIVE lock, no scan, nothing rebuilt.")
OLD_INDEX_DROPPED = ("Dropped CONCURRENTLY (outside a transaction: reads and writes go on) once its replacement "
                     "is built.")
OLD_INDEX_DROPPED_LOCKED = ("A brief ACCESS EXCLUSIVE lock, in the transaction that drops the foreign keys standing "
                            "on it (PostgreSQL refuses to drop it CONCURRENTLY while they exist).")
RENAMED = "Gives the new index its final name: catalog-only, a SHARE UPDATE EXCLUSIVE lock on the index alone."


def replace_key(change: ReplaceKey, ctx: Context) -> list[Step]:
    """Build the new unique index aside, then in one transaction: unhook foreign keys, drop the old key, attach."""
    table, old, new = change.table, change.old, change.new
    temp = change.using_index or temporary_index_name(new.name)
    what = "primary key" if isinstance(new, model.PrimaryKey) else "unique constraint"
    rel = (ctx.relation(table), ctx.relation(old.name), ctx.relation(temp))
    built = change.using_index is None
    steps = [_build_aside(table, replace(model.key_index(new), name=temp), what, ctx)] if built else []
    swap = f"swap {table}.{new.name}"
    steps += _unhook(change.foreign_keys, what, ctx, together=swap)
    kind = StepKind.ADD_PRIMARY_KEY if isinstance(new, model.PrimaryKey) else StepKind.ADD_UNIQUE
    steps += [
        draft(Phase.KEYS, StepKind.DROP_CONSTRAINT, f"{table}.{old.name}",
              ddl.drop_constraint(table, old.name, ctx.scope), Hazard.SAFE, KEY_DROPPED, relations=rel, together=swap),
        draft(Phase.KEYS, kind, f"{table}.{new.name}", ddl.add_key_using_index(table, new, ctx.scope, temp),
              Hazard.SAFE, _attach_reason(change, temp), relations=rel, together=swap),
    ]
    return steps


def _attach_reason(change: ReplaceKey, index: str) -> str:
    if change.using_index is None:
        return KEY_ATTACHED.format(new=change.new.name)
    if index == temporary_index_name(change.new.name):
        return KEY_RESUMED.format(new=change.new.name)
    return KEY_REUSED.format(new=change.new.name, index=index)


def replace_index(change: ReplaceIndex, ctx: Context) -> list[Step]:
    """Build the new index aside, drop the old one, give the new one its name."""
    if _under_rewrite(change, ctx):
        return _rebuild_with_rewrite(change, ctx)
    table, old, new = change.table, change.old, change.new
    temp = temporary_index_name(new.name)
    rel = (ctx.relation(table), ctx.relation(old.name), ctx.relation(temp))
    steps = [] if change.prebuilt else [_build_aside(table, replace(new, name=temp), "index", ctx)]
    if change.foreign_keys:
        swap = f"swap {table}.{new.name}"
        steps += _unhook(change.foreign_keys, "index", ctx, together=swap)
        steps.append(draft(Phase.KEYS, StepKind.DROP_INDEX, old.name,
                           ddl.drop_index(old.name, ctx.scope, concurrently=False), Hazard.SAFE,
                           OLD_INDEX_DROPPED_LOCKED, relations=rel, together=swap))
    else:
        steps.append(draft(Phase.INDEXES, StepKind.DROP_INDEX_CONCURRENTLY, old.name,
                           ddl.drop_index(old.name, ctx.scope, concurrently=True), Hazard.SAFE, OLD_INDEX_DROPPED,
                           transactional=False, relations=rel))
    steps.append(draft(Phase.KEYS, StepKind.RENAME_INDEX, new.name, ddl.rename_index(temp, new.name, ctx.scope),
                       Hazard.SAFE, RENAMED, relations=(ctx.relation(temp),)))
    if new.comment is not None:
        steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, new.name,
                           ddl.comment_on("index", table, new.name, new.comment, ctx.scope), Hazard.SAFE,
                           "Catalog-only."))
    return steps


OLD_INDEX_UNHOOKED = ("ALTER COLUMN TYPE below would rebuild it from its old definition re-read against the "
                      "column's new type, where a function or operator of the old type may not exist or may mean "
                      "something else: dropped in the transaction that changes the type, and made again in its "
                      "new form after it.")
INDEX_MADE_AFTER_REWRITE = ("Built in the transaction that changes the column's type (plain CREATE INDEX, under the "
                            "ACCESS EXCLUSIVE lock its rewrite holds already, which rebuilds every index of the "
                            "table anyway): no other session sees the table without it.")


def _under_rewrite(change: ReplaceIndex, ctx: Context) -> bool:
    """The old index uses a column whose type an ALTER COLUMN of this plan changes with a rewrite.

    PostgreSQL rebuilds such an index from its old definition re-parsed against the new type: that
    fails (`function lower(mood) does not exist`) or gives another meaning than the desired one, and a
    CONCURRENTLY rebuild after it builds the index twice. A binary-coercible change (varchar -> text)
    keeps the old index as it is, or re-parses it within the same family of types: the index is swapped
    CONCURRENTLY after it, with no long lock. Foreign keys standing on the old index keep the swap.
    """
    if change.prebuilt or change.foreign_keys:
        return False
    return any("type" in c.changes and rewrites(c) for c in ctx.alterations(change.table, _columns(change.old)))


def _columns(index: model.Index) -> frozenset[str] | None:
    """The columns an index uses (None: an expression that cannot be read)."""
    used = {k.column for k in index.keys if k.column} | set(index.include)
    for text in [k.expression for k in index.keys if k.expression] + ([index.where] if index.where else []):
        found = referenced_columns(text)
        if found is None:
            return None
        used |= found
    return frozenset(used)


def _rebuild_with_rewrite(change: ReplaceIndex, ctx: Context) -> list[Step]:
    """Drop the old index before the type change (UNHOOK), build the new one after it (COLUMNS, placed after the
    ALTER COLUMN by its change), one transaction (``together``)."""
    table, old, new = change.table, change.old, change.new
    together = f"retype {table}.{new.name}"
    rel = (ctx.relation(table), ctx.relation(new.name))
    hazard = Hazard.DATA if new.unique else Hazard.LOCKS
    reason = INDEX_MADE_AFTER_REWRITE + (" Fails if the columns hold duplicate values." if new.unique else "")
    steps = [
        draft(Phase.UNHOOK, StepKind.DROP_INDEX, old.name, ddl.drop_index(old.name, ctx.scope, concurrently=False),
              Hazard.SAFE, OLD_INDEX_UNHOOKED, relations=rel, together=together),
        draft(Phase.COLUMNS, StepKind.CREATE_INDEX, new.name, ddl.create_index(table, new, ctx.scope,
                                                                            concurrently=False),
              hazard, reason, relations=rel, together=together),
    ]
    if new.comment is not None:
        steps.append(draft(Phase.COMMENTS, StepKind.COMMENT, new.name,
                           ddl.comment_on("index", table, new.name, new.comment, ctx.scope), Hazard.SAFE,
                           "Catalog-only."))
    return steps


def _build_aside(table: str, index: model.Index, replaced: str, ctx: Context) -> Step:
    hazard, failure = (Hazard.DATA, UNIQUE_FAILS) if index.unique else (Hazard.SAFE, PLAIN_FAILS)
    return draft(Phase.INDEXES, StepKind.CREATE_INDEX_CONCURRENTLY, index.name,
                 ddl.create_index(table, index, ctx.scope, concurrently=True), hazard,
                 BUILD_ASIDE.format(replaced, failure), transactional=False,
                 relations=(ctx.relation(table), ctx.relation(index.name)))


def _unhook(foreign_keys: tuple[tuple[str, model.ForeignKey], ...], replaced: str, ctx: Context,
            *, together: str | None = None) -> list[Step]:
    return [draft(Phase.KEYS, StepKind.DROP_FOREIGN_KEY, f"{table}.{fk.name}",
                  ddl.drop_constraint(table, fk.name, ctx.scope), Hazard.SAFE, FK_UNHOOKED.format(f"old {replaced}"),
                  relations=(ctx.relation(table), ctx.relation(fk.ref_table)), together=together)
            for table, fk in foreign_keys]


def alter_foreign_key(change: AlterForeignKey, ctx: Context) -> list[Step]:
    """Only the deferrability changed: ALTER CONSTRAINT, catalog-only (no drop, no VALIDATE scan)."""
    fk = change.new
    sql = ddl.alter_constraint_timing(change.table, fk.name, fk.deferrable, fk.initially_deferred, ctx.scope)
    return [draft(Phase.FOREIGN_KEYS, StepKind.ALTER_FOREIGN_KEY, f"{change.table}.{fk.name}", sql, Hazard.SAFE,
                  "Catalog-only: a brief ACCESS EXCLUSIVE lock on the table; no row is checked again.",
                  relations=(ctx.relation(change.table),))]
