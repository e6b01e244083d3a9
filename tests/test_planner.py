"""make_plan: step kinds, hazards, SQL and order for representative changes."""

from __future__ import annotations

from dataclasses import replace

from sample_models import LEAD_STATUS, RICH, db, evolved, shuffled, table

from pgevolve import model
from pgevolve.model import CheckConstraint, Column, ForeignKey, Hints, Index, IndexKey, UniqueConstraint
from pgevolve.plan.planner import make_plan
from pgevolve.plan.steps import Hazard, Phase, Plan, Step, StepKind
from pgevolve.sqltext.expression_facts import volatile_calls
from pgevolve.sqltext.type_changes import Conversion, conversion
from pgevolve.sqltext.type_names import canonical_type

T = '"public"."t"'


def steps(plan: Plan) -> list[tuple[str, Hazard, str]]:
    return [(s.kind, s.hazard, s.sql) for s in plan.steps]


def add(column: Column) -> Plan:
    return make_plan(db(table("t")), db(table("t", column)))


def test_add_column_with_a_constant_default_is_safe() -> None:
    plan = add(Column(name="c", type="integer", nullable=False, default="0"))
    assert steps(plan) == [("add_column", Hazard.SAFE, f'ALTER TABLE {T} ADD COLUMN "c" integer DEFAULT 0 NOT NULL')]
    assert plan.steps[0].summary == "Adds column `c` to `t`"


def test_add_column_with_now_is_safe_but_a_volatile_default_rewrites() -> None:
    assert add(Column(name="c", type="timestamp with time zone", default="now()")).steps[0].hazard == Hazard.SAFE
    plan = add(Column(name="c", type="double precision", default="random()"))
    assert steps(plan) == [("add_column", Hazard.REWRITE, f'ALTER TABLE {T} ADD COLUMN "c" double precision '
                                                          "DEFAULT random()")]
    assert plan.steps[0].reason == ("The default calls random(), volatile, so it is computed for every existing "
                                    "row: the table is rewritten under an ACCESS EXCLUSIVE lock.")
    assert add(Column(name="c", type="bigserial")).steps[0].hazard == Hazard.REWRITE
    assert add(Column(name="c", type="integer", identity="ALWAYS", nullable=False)).steps[0].hazard == Hazard.REWRITE


def test_add_not_null_column_without_default_is_data() -> None:
    plan = add(Column(name="c", type="text", nullable=False))
    assert [(s.kind, s.hazard, s.reason) for s in plan.steps] == [
        ("add_column", Hazard.DATA, "NOT NULL without a default: fails if the table has any rows.")
    ]


def test_set_not_null_uses_a_validated_check() -> None:
    nullable = Column(name="c", type="text")
    plan = make_plan(db(table("t", nullable)), db(table("t", replace(nullable, nullable=False))))
    assert [(s.phase, s.kind, s.hazard, s.isolated, s.sql) for s in plan.steps] == [
        (Phase.CHECKS, "add_check_not_valid", Hazard.SAFE, False,
         f'ALTER TABLE {T} ADD CONSTRAINT "t_c_not_null" CHECK ("c" IS NOT NULL) NOT VALID'),
        (Phase.VALIDATE_CHECKS, "validate_constraint", Hazard.DATA, True,
         f'ALTER TABLE {T} VALIDATE CONSTRAINT "t_c_not_null"'),
        (Phase.NOT_NULL, "set_not_null", Hazard.SAFE, False, f'ALTER TABLE {T} ALTER COLUMN "c" SET NOT NULL'),
        (Phase.NOT_NULL, "drop_check", Hazard.SAFE, False, f'ALTER TABLE {T} DROP CONSTRAINT "t_c_not_null"'),
    ]
    assert plan.highest_hazard == Hazard.DATA
    assert [g.transactional and len(g.steps) for g in plan.groups()] == [1, 1, 2]


def test_foreign_key_on_an_existing_table_is_not_valid_then_validated() -> None:
    parent = Column(name="parent_id", type="integer")
    fk = ForeignKey(name="t_parent_id_fkey", columns=("parent_id",), ref_table="t", ref_columns=("id",),
                    on_delete="CASCADE")
    plan = make_plan(db(table("t", parent)), db(table("t", parent, foreign_keys=(fk,))))
    assert [(s.phase, s.kind, s.hazard, s.sql) for s in plan.steps] == [
        (Phase.FOREIGN_KEYS, "add_foreign_key_not_valid", Hazard.SAFE,
         f'ALTER TABLE {T} ADD CONSTRAINT "t_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "public"."t" ("id") '
         "ON DELETE CASCADE NOT VALID"),
        (Phase.VALIDATE_FOREIGN_KEYS, "validate_constraint", Hazard.DATA,
         f'ALTER TABLE {T} VALIDATE CONSTRAINT "t_parent_id_fkey"'),
    ]


def test_check_on_an_existing_table_is_not_valid_then_validated() -> None:
    check = CheckConstraint(name="t_id_check", expression="(id > 0)")
    plan = make_plan(db(table("t")), db(table("t", checks=(check,))))
    assert [(s.kind, s.hazard, s.isolated) for s in plan.steps] == [
        ("add_check_not_valid", Hazard.SAFE, False),
        ("validate_constraint", Hazard.DATA, True),
    ]


def test_index_is_concurrent_on_an_existing_table_and_plain_on_a_new_one() -> None:
    index = Index(name="t_name_idx", keys=(IndexKey(column="name"),))
    name = Column(name="name", type="text")
    existing = make_plan(db(table("t", name)), db(table("t", name, indexes=(index,))))
    assert [(s.kind, s.hazard, s.transactional, s.sql) for s in existing.steps] == [
        ("create_index_concurrently", Hazard.SAFE, False,
         f'CREATE INDEX CONCURRENTLY "t_name_idx" ON {T} USING btree ("name")'),
    ]
    new = make_plan(db(), db(table("t", name, indexes=(index,))))
    assert [(s.kind, s.transactional, s.sql) for s in new.steps][1:] == [
        ("create_index", True, f'CREATE INDEX "t_name_idx" ON {T} USING btree ("name")'),
    ]
    dropped = make_plan(db(table("t", name, indexes=(index,))), db(table("t", name)))
    # only the database has it now: dropping it weakens the schema (refused without --allow-destructive)
    assert steps(dropped) == [
        ("drop_index_concurrently", Hazard.WEAKENS, 'DROP INDEX CONCURRENTLY "public"."t_name_idx"')]


def test_unique_on_an_existing_table_is_built_concurrently_then_attached() -> None:
    email = Column(name="email", type="text")
    unique = UniqueConstraint(name="t_email_key", columns=("email",))
    plan = make_plan(db(table("t", email)), db(table("t", email, uniques=(unique,))))
    assert [(s.phase, s.kind, s.hazard, s.transactional, s.sql) for s in plan.steps] == [
        (Phase.INDEXES, "create_index_concurrently", Hazard.DATA, False,
         f'CREATE UNIQUE INDEX CONCURRENTLY "t_email_key" ON {T} USING btree ("email")'),
        (Phase.KEYS, "add_unique", Hazard.SAFE, True,
         f'ALTER TABLE {T} ADD CONSTRAINT "t_email_key" UNIQUE USING INDEX "t_email_key"'),
    ]


def retype(old: Column, new: Column) -> list[tuple[str, Hazard, str]]:
    return steps(make_plan(db(table("t", old)), db(table("t", new))))


def test_type_changes() -> None:
    c = Column(name="c", type="character varying(50)")
    assert retype(c, replace(c, type="text")) == [
        ("alter_column_type", Hazard.SAFE, f'ALTER TABLE {T} ALTER COLUMN "c" TYPE text')]
    # No USING: the assignment cast raises on a long value where an explicit cast would truncate.
    # Narrowing is destructive all the same (the contract): refused without --allow-destructive.
    assert retype(c, replace(c, type="character varying(10)")) == [
        ("alter_column_type", Hazard.DESTRUCTIVE, f'ALTER TABLE {T} ALTER COLUMN "c" TYPE character varying(10)')]
    assert retype(replace(c, type="integer"), replace(c, type="bigint")) == [
        ("alter_column_type", Hazard.REWRITE, f'ALTER TABLE {T} ALTER COLUMN "c" TYPE bigint')]
    assert retype(replace(c, type="text"), replace(c, type="integer")) == [
        ("alter_column_type", Hazard.DATA, f'ALTER TABLE {T} ALTER COLUMN "c" TYPE integer USING "c"::integer')]


def test_type_change_sets_the_default_aside() -> None:
    old = Column(name="c", type="text", default="'1'::text")
    new = Column(name="c", type="integer", default="1")
    assert [kind for kind, _, _ in retype(old, new)] == ["drop_default", "alter_column_type", "set_default"]


def test_drops_are_destructive_and_a_constraint_only_the_database_has_weakens() -> None:
    check = CheckConstraint(name="t_id_check", expression="(id > 0)")
    actual = replace(db(table("t", Column(name="c", type="text"), checks=(check,)), table("gone")),
                     extensions=(model.Extension(name="pg_trgm"),), enums=(LEAD_STATUS,))
    plan = make_plan(actual, db(table("t")))
    assert [(s.phase, s.kind, s.hazard) for s in plan.steps] == [
        (Phase.DROP_CONSTRAINTS, "drop_constraint", Hazard.WEAKENS),
        (Phase.DROP_COLUMNS, "drop_column", Hazard.DESTRUCTIVE),
        (Phase.DROP_TABLES, "drop_table", Hazard.DESTRUCTIVE),
        (Phase.DROP_ENUMS, "drop_enum", Hazard.DESTRUCTIVE),
    ]  # the unlisted extension is left alone


def test_dropping_a_unique_index_that_a_key_covers_does_not_weaken_unless_nulls_become_distinct() -> None:
    c = Column(name="c", type="text")
    key = UniqueConstraint(name="t_c_key", columns=("c",))
    index = Index(name="t_c_idx", keys=(IndexKey(column="c"),), unique=True)
    for nulls_not_distinct, hazard in ((False, Hazard.SAFE), (True, Hazard.WEAKENS)):
        actual = db(table("t", c, uniques=(key,), indexes=(replace(index, nulls_not_distinct=nulls_not_distinct),)))
        plan = make_plan(actual, db(table("t", c, uniques=(key,))))
        # UNIQUE (c) keeps what a plain unique index gave, not two NULLs refused by NULLS NOT DISTINCT
        assert [(s.kind, s.hazard) for s in plan.steps] == [("drop_index_concurrently", hazard)]


def test_tables_that_reference_each_other_drop_their_keys_first() -> None:
    a = table("a", Column(name="b_id", type="integer"),
              foreign_keys=(ForeignKey(name="a_b_fk", columns=("b_id",), ref_table="b", ref_columns=("id",)),))
    b = table("b", Column(name="a_id", type="integer"),
              foreign_keys=(ForeignKey(name="b_a_fk", columns=("a_id",), ref_table="a", ref_columns=("id",)),))
    plan = make_plan(db(a, b), db())
    assert [(s.kind, s.object) for s in plan.steps] == [
        ("drop_foreign_key", "a.a_b_fk"), ("drop_foreign_key", "b.b_a_fk"), ("drop_table", "a"), ("drop_table", "b")
    ]


def test_renames_take_a_brief_lock_and_come_first() -> None:
    plan = make_plan(db(table("old", Column(name="a", type="text"))),
                     db(replace(table("new", Column(name="b", type="text")),
                                primary_key=model.PrimaryKey(name="old_pkey", columns=("id",)))),
                     Hints(table_renames={"new": "old"}, column_renames={("new", "b"): "a"}))
    assert steps(plan) == [
        ("rename_table", Hazard.LOCKS, 'ALTER TABLE "public"."old" RENAME TO "new"'),
        ("rename_column", Hazard.LOCKS, 'ALTER TABLE "public"."new" RENAME COLUMN "a" TO "b"'),
    ]


def test_enum_values_are_added_outside_a_transaction() -> None:
    more = replace(LEAD_STATUS, values=(*LEAD_STATUS.values, "archived"))
    plan = make_plan(model.Database(enums=(LEAD_STATUS,)), model.Database(enums=(more,)))
    assert [(s.kind, s.transactional, s.sql) for s in plan.steps] == [
        ("add_enum_value", False, """ALTER TYPE "public"."lead_status" ADD VALUE IF NOT EXISTS 'archived'"""),
    ]


def test_phases_of_a_plan_from_scratch() -> None:
    plan = make_plan(model.Database(), RICH)
    phases = [s.phase for s in plan.steps]
    assert phases == sorted(phases)
    assert [s.kind for s in plan.steps][:6] == [
        "create_extension", "create_enum", "create_table", "create_table", "create_table", "create_index",
    ]
    assert {s.phase for s in plan.steps} == {Phase.EXTENSIONS, Phase.ENUMS, Phase.TABLES, Phase.INDEXES,
                                             Phase.FOREIGN_KEYS, Phase.COMMENTS}


def test_the_same_input_in_any_order_gives_the_same_plan() -> None:
    desired, hints = evolved()
    plan = make_plan(RICH, desired, hints)
    assert make_plan(shuffled(RICH), shuffled(desired), hints) == plan
    assert make_plan(model.Database(), shuffled(RICH)) == make_plan(model.Database(), RICH)


def test_a_big_plan_is_split_into_transactions_of_bounded_size() -> None:
    tables = [table(f"t{n:04}") for n in range(1000)]
    plan = make_plan(model.Database(), db(*tables))
    groups = plan.groups(max_relations=200)
    assert [len(g.steps) for g in groups] == [100] * 10  # each table counts itself and its primary key index
    assert all(g.transactional for g in groups)
    assert sum(len(g.steps) for g in plan.groups()) == len(plan.steps)


def test_the_relation_cap_never_splits_steps_that_must_commit_together() -> None:
    def step(n: int, *, together: str | None = None) -> Step:
        return Step(phase=Phase.KEYS, kind=StepKind.DROP_CONSTRAINT, object=f"o{n}", sql="SELECT 1",
                    hazard=Hazard.SAFE, reason="", summary="", relations=(f"r{n}a", f"r{n}b"), together=together)

    plan = Plan(steps=(step(1), step(2, together="swap"), step(3), step(4, together="swap"), step(5)))
    assert [[s.object for s in g.steps] for g in plan.groups(max_relations=3)] == [
        ["o1"], ["o2", "o3", "o4"], ["o5"]]  # o2..o4 stay one transaction though it locks 6 relations
    assert Plan.from_dict(plan.to_dict()) == plan


def test_every_step_is_one_complete_statement() -> None:
    desired, hints = evolved()
    for step in make_plan(RICH, desired, hints).steps:
        assert isinstance(step, Step)
        assert step.sql and not step.sql.rstrip().endswith(";")
        assert step.reason.endswith(".") and step.summary


def test_type_names_and_conversions() -> None:
    assert canonical_type("varchar(20)") == "character varying(20)"
    assert canonical_type("timestamptz(3)") == "timestamp(3) with time zone"
    assert canonical_type("int[]") == "integer[]"
    assert [conversion(old, new) for old, new in [
        ("character varying(20)", "character varying(40)"),
        ("character varying(20)", "text"),
        ("numeric(10,2)", "numeric(12,2)"),
        ("numeric(10,2)", "numeric(12,4)"),  # 8 integer digits kept, 2 more after the point: rewrite only
        ("numeric(10,2)", "numeric(10,4)"),  # 8 -> 6 integer digits: a large value raises
        ("numeric(12,4)", "numeric(12,2)"),  # scale down: rounds
        ("numeric", "numeric(12,2)"),
        ("smallint", "bigint"),
        ("bigint", "integer"),
        ("text", "character varying(10)"),
        ("timestamp(6) with time zone", "timestamp(3) with time zone"),
        ("numeric(10,2)", "integer"),
        ("integer", "numeric(6,2)"),
        ("lead_status", "text"),
        ("text", "uuid"),
        ("integer[]", "bigint"),
    ]] == [
        Conversion.COERCIBLE, Conversion.COERCIBLE, Conversion.COERCIBLE, Conversion.WIDENING,
        Conversion.ASSIGNMENT, Conversion.ROUNDING, Conversion.ROUNDING,
        Conversion.WIDENING, Conversion.ASSIGNMENT, Conversion.ASSIGNMENT, Conversion.ROUNDING, Conversion.ROUNDING,
        Conversion.ASSIGNMENT, Conversion.WIDENING, Conversion.EXPLICIT, Conversion.EXPLICIT,
    ]


def test_volatility_is_read_from_the_parsed_expression() -> None:
    assert volatile_calls("now()") == ()
    assert volatile_calls("'random()'::text") == ()  # a string, not a call
    assert volatile_calls("(random() * 10)::integer") == ("random",)
    assert volatile_calls("public.gen_random_uuid()") == ("gen_random_uuid",)
    assert volatile_calls("this is not sql") is None
