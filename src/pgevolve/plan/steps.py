"""A plan is data: ordered steps, each one SQL statement with its hazard and why.

Rendering (text, SQL, JSON, Markdown) is ``plan.render``; applying is ``apply``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import IntEnum, StrEnum
from typing import Any

from pgevolve.changes import Change
from pgevolve.plan.encoding import decode_change, encode

# Every statement of a plan waits at most this long for a lock, then fails
# instead of queueing behind a long transaction and blocking everyone after it.
LOCK_TIMEOUT = "5s"

# A transaction holds each lock it takes until COMMIT, and the lock table has
# room for max_locks_per_transaction * (max_connections + max_prepared_transactions)
# entries (64 * 100 by default), shared by all sessions. A 1000-table plan in one
# transaction runs out ("out of shared memory"; migra's drop script does). So
# consecutive transactional steps are batched into transactions touching at most
# this many relations (tables, their indexes and sequences): ~200 leaves ample
# room at the defaults. Each batch is all-or-nothing; the plan as a whole then is not.
MAX_RELATIONS_PER_TRANSACTION = 200


class Hazard(StrEnum):
    """How risky a step is, from least to most severe."""

    SAFE = "safe"  # catalog-only or non-blocking
    LOCKS = "locks"  # holds a strong lock that blocks the application for a while
    REWRITE = "rewrite"  # rewrites the whole table under an ACCESS EXCLUSIVE lock
    DATA = "data"  # can fail on existing rows (NOT NULL, UNIQUE, CHECK, casts)
    # Drops an index or constraint that only the database has (built by hand, or gone from the YAML):
    # queries that used the index scan the table, rows the constraint refused get in. No row is lost,
    # but like a data loss it is refused unless --allow-destructive.
    WEAKENS = "weakens"
    DESTRUCTIVE = "destructive"  # loses data

    @property
    def needs_consent(self) -> bool:
        """Refused by apply unless --allow-destructive."""
        return self in (Hazard.WEAKENS, Hazard.DESTRUCTIVE)

    @property
    def severity(self) -> int:
        return list(Hazard).index(self)


def highest(hazards: list[Hazard] | tuple[Hazard, ...]) -> Hazard:
    """The most severe hazard; SAFE for none."""
    return max(hazards, key=lambda h: h.severity, default=Hazard.SAFE)


class Phase(IntEnum):
    """Fixed order of a plan: dependencies first, drops in reverse, comments last.

    Only the order matters (saved plans name phases): numbers are renumbered freely.
    """

    SCHEMA = 1
    EXTENSIONS = 2
    # ALTER TYPE ... ADD VALUE runs outside any transaction; first, so that it never splits the
    # transaction that swaps a CHECK naming the new value (a moment without the CHECK otherwise).
    ENUM_VALUES = 3
    # What an interrupted online type change left and no longer needs (its sync trigger names columns
    # in its body), before any rename; the old column of a finished one, before a new one takes its name.
    CLEANUP = 4
    RENAMES = 5  # tables and columns, first: every later statement uses the desired names
    DROP_FOREIGN_KEYS = 6
    DROP_CONSTRAINTS = 7
    DROP_INDEXES = 8
    RENAME_KEYS = 9  # constraints and indexes, once the names they take are free
    # What an ALTER COLUMN below would re-parse against the column's new type: a CHECK this plan replaces
    # (added back in CHECKS), an index it replaces (built again in COLUMNS). Dropped here, in the same
    # transaction as what makes them again (nothing runs outside one in between).
    UNHOOK = 10
    # A generated column that reads a column an ALTER COLUMN below retypes (PostgreSQL refuses that while
    # it exists): dropped or made ordinary here, after the CHECKs on it are unhooked (DROP COLUMN takes
    # them along); one the YAML keeps is added back in COLUMNS, in the same transaction.
    GENERATED_ASIDE = 11
    ENUMS = 12
    TABLES = 13
    COLUMNS = 14  # also an online type change's shadow column, sync trigger and backfill
    CHECKS = 15  # NOT VALID: a brief lock, no scan; before INDEXES so they share the columns' transaction
    BACKFILLS = 16  # a promotion's batches, outside any transaction: after the CHECKs new rows must meet
    INDEXES = 17  # also the unique indexes that primary keys and UNIQUE constraints will use
    VALIDATE_CHECKS = 18
    NOT_NULL = 19  # after the CHECK (col IS NOT NULL) that proves it is validated
    KEYS = 20  # PRIMARY KEY / UNIQUE ... USING INDEX, after NOT NULL so no scan is needed; an online swap
    # DROP NOT NULL, once the keys are swapped: a column leaving the primary key is NOT NULL until then.
    DROP_NOT_NULL = 21
    FOREIGN_KEYS = 22  # after every table and key they may reference; an online change's old column dropped
    VALIDATE_FOREIGN_KEYS = 23
    DROP_COLUMNS = 24
    DROP_TABLES = 25
    DROP_ENUMS = 26
    COMMENTS = 27


class StepKind(StrEnum):
    """What a step's statement does; the value is what text, JSON and saved plans show."""

    ADD_CHECK_NOT_VALID = "add_check_not_valid"
    ADD_COLUMN = "add_column"
    ADD_ENUM_VALUE = "add_enum_value"
    ADD_FOREIGN_KEY = "add_foreign_key"
    ADD_FOREIGN_KEY_NOT_VALID = "add_foreign_key_not_valid"
    ADD_IDENTITY = "add_identity"
    ADD_PRIMARY_KEY = "add_primary_key"
    ADD_UNIQUE = "add_unique"
    ALTER_COLUMN_TYPE = "alter_column_type"
    ALTER_EXTENSION = "alter_extension"
    ALTER_FOREIGN_KEY = "alter_foreign_key"
    ALTER_SEQUENCE = "alter_sequence"
    ANALYZE = "analyze"
    BACKFILL = "backfill"
    COMMENT = "comment"
    CREATE_ENUM = "create_enum"
    CREATE_EXTENSION = "create_extension"
    CREATE_INDEX = "create_index"
    CREATE_INDEX_CONCURRENTLY = "create_index_concurrently"
    CREATE_PREREQUISITE = "create_prerequisite"
    CREATE_SCHEMA = "create_schema"
    CREATE_SEQUENCE = "create_sequence"
    CREATE_SYNC_FUNCTION = "create_sync_function"
    CREATE_SYNC_TRIGGER = "create_sync_trigger"
    CREATE_TABLE = "create_table"
    DROP_CHECK = "drop_check"
    DROP_COLUMN = "drop_column"
    DROP_CONSTRAINT = "drop_constraint"
    DROP_DEFAULT = "drop_default"
    DROP_ENUM = "drop_enum"
    DROP_EXPRESSION = "drop_expression"
    DROP_FOREIGN_KEY = "drop_foreign_key"
    DROP_IDENTITY = "drop_identity"
    DROP_INDEX = "drop_index"
    DROP_INDEX_CONCURRENTLY = "drop_index_concurrently"
    DROP_KEY = "drop_key"
    DROP_NOT_NULL = "drop_not_null"
    DROP_SEQUENCE = "drop_sequence"
    DROP_SYNC_FUNCTION = "drop_sync_function"
    DROP_SYNC_TRIGGER = "drop_sync_trigger"
    DROP_TABLE = "drop_table"
    LOCK_TABLES = "lock_tables"
    RENAME_COLUMN = "rename_column"
    RENAME_CONSTRAINT = "rename_constraint"
    RENAME_ENUM = "rename_enum"
    RENAME_INDEX = "rename_index"
    RENAME_SEQUENCE = "rename_sequence"
    RENAME_SYNC_FUNCTION = "rename_sync_function"
    RENAME_SYNC_TRIGGER = "rename_sync_trigger"
    RENAME_TABLE = "rename_table"
    RESET_STORAGE = "reset_storage"
    SET_DEFAULT = "set_default"
    SET_IDENTITY = "set_identity"
    SET_NOT_NULL = "set_not_null"
    SET_REPLICA_IDENTITY = "set_replica_identity"
    SET_SEQUENCE = "set_sequence"
    SET_STORAGE = "set_storage"
    VALIDATE_CONSTRAINT = "validate_constraint"


@dataclass(frozen=True, slots=True, kw_only=True)
class Batched:
    """How apply runs a data change in batches (primary-key or page ranges), each its own short transaction.

    The step's ``sql`` is the same change as one statement (what a DBA reads and
    could run by hand); apply runs ``update`` with ``pending`` and a key range
    instead, records each finished batch in ``pgevolve.backfill_progress`` under
    ``target``, and skips finished batches on a rerun. ``instance`` identifies
    the column being filled (table oid and attnum): a dropped and re-added column
    starts over. ``finish`` runs in the transaction of the last batch.
    """

    target: str  # "backfill public.leads.referral_source"
    table: str  # schema-qualified, quoted
    key_columns: tuple[str, ...]  # quoted; () for a table without a primary key: page (ctid) ranges
    key_types: tuple[str, ...]
    update: str  # UPDATE ... SET ..., without WHERE
    pending: str  # the rows this change still has to touch
    instance: str  # a query returning one text value
    finish: str | None = None
    # Rows inserted once the change's trigger exists are written by it: the batches stop at the largest
    # key the table holds when the backfill starts, instead of chasing the application's inserts.
    bounded: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Precheck:
    """A count, run before any DDL, of the existing rows that would make a step fail (``plan.prechecks``)."""

    subject: str  # "leads.email SET NOT NULL"
    problem: str  # "rows where email is NULL"
    count_sql: str  # one row, one column: the number of offending rows
    sample_sql: str | None  # up to SAMPLE_SIZE rows: keys of offending rows, as text
    setup_sql: tuple[str, ...] = ()  # run first, in the same rolled-back transaction (temporary functions)
    schema: str | None = None  # the owned schema whose search_path it runs under; None: the plan's

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Precheck:
        fields = {k: v for k, v in data.items() if k != "cast_only"}  # the inexact cast check's flag, gone
        return cls(**{**fields, "setup_sql": tuple(data.get("setup_sql", ()))})


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One SQL statement of a plan, with the change it comes from and the pre-checks apply runs first."""

    phase: Phase
    kind: StepKind  # what the statement does
    object: str  # what it acts on: "leads", "leads.roof_type", "leads_status_idx"
    sql: str  # one complete statement, without the trailing semicolon
    hazard: Hazard
    reason: str  # why this hazard, for a DBA
    summary: str  # the change it belongs to, in plain words, for a product manager
    transactional: bool = True  # False: CONCURRENTLY and the like, must run outside a transaction
    isolated: bool = False  # runs in a transaction of its own (VALIDATE: after the locks are released)
    relations: tuple[str, ...] = ()  # the relations it locks, to size transactions
    batch: Batched | None = None  # set: apply runs it in batches (never in a transaction)
    # Steps sharing a tag must commit together (a key swap: drop the old key, attach the new one);
    # the relation cap never splits a transaction between them.
    together: str | None = None
    # The change this step is part of (the planner sets it; every step of a change shares it), and
    # the counts apply runs before any DDL: the rows this step would fail on (see plan.prechecks).
    # The change is where the step comes from, not what it does: two plans with the same statements
    # are equal even when their changes list a table's indexes in another order.
    # The owned schema whose search_path it runs under (another schema of a project with several); None: the
    # plan's. Expressions are spelled as PostgreSQL prints them with search_path that schema.
    schema: str | None = None
    change: Change | None = field(default=None, compare=False)
    prechecks: tuple[Precheck, ...] = ()

    def to_dict(self, change: int | None = None) -> dict[str, Any]:
        """Plain JSON data; ``change``: the position of the step's change in the plan's ``changes``."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("change", "prechecks", "batch")}
        data["phase"] = self.phase.name.lower()
        data["kind"] = self.kind.value
        data["hazard"] = self.hazard.value
        data["relations"] = list(self.relations)
        if self.together is None:
            del data["together"]
        if self.batch is not None:
            data["batch"] = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.batch).items()}
        if change is not None:
            data["change"] = change
        if self.prechecks:
            data["prechecks"] = [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items()}
                                 for c in self.prechecks]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], changes: tuple[Change, ...] = ()) -> Step:
        batch, change = data.get("batch"), data.get("change")
        batch_fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in (batch or {}).items()}
        return cls(**{
            **data,
            "phase": Phase[data["phase"].upper()],
            "kind": StepKind(data["kind"]),
            "hazard": Hazard(data["hazard"]),
            "relations": tuple(data.get("relations", ())),
            "batch": None if batch is None else Batched(**batch_fields),
            "change": None if change is None else changes[change],
            "prechecks": tuple(Precheck.from_dict(c) for c in data.get("prechecks", ())),
        })


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Steps that run together: in one transaction, or one step outside any transaction."""

    transactional: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    steps: tuple[Step, ...] = ()
    # Unmanaged objects that PostgreSQL would not let a step past (plan.blockers): apply refuses the plan.
    blockers: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.steps

    @property
    def prechecks(self) -> tuple[Precheck, ...]:
        """Every step's pre-checks, in plan order: apply runs them all before the first statement."""
        return tuple(check for step in self.steps for check in step.prechecks)

    @property
    def highest_hazard(self) -> Hazard:
        return highest([s.hazard for s in self.steps])

    def counts(self) -> dict[Hazard, int]:
        """Steps per hazard, most severe last, only hazards present."""
        counted = Counter(s.hazard for s in self.steps)
        return {h: counted[h] for h in Hazard if counted[h]}

    def groups(self, max_relations: int = MAX_RELATIONS_PER_TRANSACTION) -> tuple[Group, ...]:
        """Transactions and lone non-transactional steps, in order (see MAX_RELATIONS_PER_TRANSACTION)."""
        groups: list[Group] = []
        batch: list[Step] = []
        touched: set[str] = set()
        last_of = {step.together: i for i, step in enumerate(self.steps) if step.together is not None}
        open_until = -1  # index of the last step that must share the current transaction
        for i, step in enumerate(self.steps):
            weight = set(step.relations) or {f"#{id(step)}"}
            full = len(touched | weight) > max_relations and i > open_until
            if batch and (not step.transactional or step.isolated or full):
                groups.append(Group(transactional=True, steps=tuple(batch)))
                batch, touched = [], set()
            if not step.transactional or step.isolated:
                groups.append(Group(transactional=step.transactional, steps=(step,)))
                continue
            batch.append(step)
            touched |= weight
            if step.together is not None:
                open_until = max(open_until, last_of[step.together])
        if batch:
            groups.append(Group(transactional=True, steps=tuple(batch)))
        return tuple(groups)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; ``groups`` lists step numbers (1-based) and is ignored by from_dict.

        ``changes`` holds each change once (tagged records, see ``plan.encoding``); a step
        names its change by position.
        """
        numbered, start = [], 1
        for group in self.groups():
            numbered.append({"transactional": group.transactional,
                             "steps": list(range(start, start + len(group.steps)))})
            start += len(group.steps)
        positions: dict[int, int] = {}  # id(change) -> its place in "changes"
        changes: list[Change] = []
        for step in self.steps:
            if step.change is not None and id(step.change) not in positions:
                positions[id(step.change)] = len(changes)
                changes.append(step.change)
        data: dict[str, Any] = {
            "format": 1,
            "summary": {h.value: n for h, n in self.counts().items()},
            "highest_hazard": self.highest_hazard.value,
            "steps": [s.to_dict(None if s.change is None else positions[id(s.change)]) for s in self.steps],
            "groups": numbered,
        }
        if changes:
            data["changes"] = [encode(change) for change in changes]
        if self.blockers:
            data["blockers"] = list(self.blockers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        changes = tuple(decode_change(c) for c in data.get("changes", ()))
        return cls(steps=tuple(Step.from_dict(s, changes) for s in data["steps"]),
                   blockers=tuple(data.get("blockers", ())))


def merge_plans(plans: Sequence[tuple[str | None, Plan]]) -> Plan:
    """One plan from the plans of several owned schemas (``None``: the project's schema): each step keeps
    its schema, and the steps run phase by phase across schemas, so that every table of every schema exists
    before a foreign key between two of them is added (and is dropped after the foreign keys that use it)."""
    keyed: list[tuple[tuple[int, bool, int, int], Step]] = []
    for position, (schema, plan) in enumerate(plans):
        for ordinal, step in enumerate(plan.steps):
            if schema is not None:
                checks = tuple(replace(c, schema=schema) for c in step.prechecks)
                summary = f"{step.summary} (schema {schema})" if step.summary else step.summary
                step = replace(step, schema=schema, prechecks=checks, summary=summary)
            keyed.append(((step.phase.value, not step.transactional, position, ordinal), step))
    keyed.sort(key=lambda pair: pair[0])
    return Plan(steps=tuple(step for _, step in keyed), blockers=tuple(b for _, p in plans for b in p.blockers))
