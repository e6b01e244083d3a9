"""diff(actual, desired, hints): whole-value assertions, one change kind at a time."""

from __future__ import annotations

from dataclasses import replace

from sample_models import LEAD_STATUS, RICH, db, shuffled, table

from pgevolve import model
from pgevolve.changes import (
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddPrimaryKey,
    AlterColumn,
    CreateEnum,
    CreateExtension,
    CreateIndex,
    CreateSchema,
    CreateTable,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    ReplaceEnum,
    ReplaceIndex,
    ReplaceKey,
    SetComment,
    SetExtensionSchema,
    ValidateConstraint,
)
from pgevolve.diff import diff
from pgevolve.model import (
    CheckConstraint,
    Column,
    Database,
    Extension,
    ForeignKey,
    Hints,
    Index,
    IndexKey,
    PrimaryKey,
    UniqueConstraint,
)

NO_HINTS = Hints()
NAME = Column(name="name", type="text")
EMAIL = Column(name="email", type="text")


def test_equal_models_give_no_changes() -> None:
    assert diff(RICH, RICH, NO_HINTS) == []
    assert diff(RICH, shuffled(RICH), NO_HINTS) == []


def test_extensions() -> None:
    uuid, trgm = Extension(name="uuid-ossp"), Extension(name="pg_trgm")
    assert diff(Database(extensions=(uuid,)), Database(extensions=(trgm,)), NO_HINTS) == [
        CreateExtension(extension=trgm),  # uuid-ossp, no longer listed, is left alone
    ]
    moved = Extension(name="uuid-ossp", schema="extensions")
    assert diff(Database(extensions=(uuid,)), Database(extensions=(moved,)), NO_HINTS) == [
        SetExtensionSchema(name="uuid-ossp", old_schema=None, new_schema="extensions")
    ]
    # Installed in another schema: listed means installed (no move); unlisted is not ours to drop.
    assert diff(Database(extensions=(moved,)), Database(extensions=(uuid,)), NO_HINTS) == []
    assert diff(Database(extensions=(moved,)), Database(), NO_HINTS) == []


def test_owned_schema_is_created_when_the_database_has_nothing_in_it() -> None:
    desired = replace(db(table("a")), schema="crm")
    assert diff(Database(schema="crm"), desired, NO_HINTS) == [
        CreateSchema(name="crm"),
        CreateTable(definition=table("a")),
    ]


def test_create_and_drop_tables() -> None:
    assert diff(db(table("a")), db(table("b")), NO_HINTS) == [
        DropTable(definition=table("a")),
        CreateTable(definition=table("b")),
    ]


def test_enums_created_dropped_and_commented() -> None:
    other = model.EnumType(name="priority", values=("low", "high"))
    actual = Database(enums=(other, replace(LEAD_STATUS, comment=None)))
    desired = Database(enums=(LEAD_STATUS,))
    assert diff(actual, desired, NO_HINTS) == [
        SetComment(target="type", table=None, name="lead_status", comment="Where a lead stands."),
        DropEnum(enum=other),
    ]
    assert diff(Database(), desired, NO_HINTS) == [CreateEnum(enum=LEAD_STATUS)]


def test_enum_values_are_added_in_place_in_order() -> None:
    old = model.EnumType(name="s", values=("b", "d"))
    new = model.EnumType(name="s", values=("a", "b", "c", "c2", "d", "e"))
    assert diff(Database(enums=(old,)), Database(enums=(new,)), NO_HINTS) == [
        AddEnumValue(enum="s", value="a", before="b"),
        AddEnumValue(enum="s", value="c", after="b"),
        AddEnumValue(enum="s", value="c2", after="c"),
        AddEnumValue(enum="s", value="e"),
    ]


def test_enum_with_a_value_removed_is_replaced_with_the_columns_that_use_it() -> None:
    status = Column(name="status", type="lead_status")
    history = Column(name="history", type="lead_status[]")
    tables = (table("leads", status, history, NAME),)
    smaller = replace(LEAD_STATUS, values=("new", "won", "lost"))
    actual = Database(enums=(LEAD_STATUS,), tables=tables)
    assert diff(actual, Database(enums=(smaller,), tables=tables), NO_HINTS) == [
        ReplaceEnum(old=LEAD_STATUS, new=smaller, columns=(("leads", status), ("leads", history)))
    ]


# A type change that rewrites the table says why it runs in place (diff.online); these models have no size.
IN_PLACE = ("In place: no size is known for `t`, under online_from_rows (50,000): one rewrite under the lock is "
            "quicker there than a shadow column, a backfill and a swap.")


def test_columns_added_dropped_and_altered() -> None:
    actual = db(table("t", NAME, EMAIL))
    wider = Column(name="name", type="character varying(200)", nullable=False, default="''::character varying")
    added = Column(name="phone", type="text", comment="Mobile first.")
    desired = db(table("t", wider, added))
    assert diff(actual, desired, NO_HINTS) == [
        AlterColumn(table="t", old=NAME, new=wider, changes=frozenset({"type", "nullable", "default"}),
                    in_place=IN_PLACE),
        AddColumn(table="t", column=added),
        DropColumn(table="t", column=EMAIL),
    ]


def test_every_column_attribute_is_reported() -> None:
    old = Column(name="c", type="integer", nullable=False)
    cases = {
        "identity": replace(old, identity="ALWAYS"),
        "generated": replace(old, generated="(id * 2)"),
        "collation": replace(old, collation="C"),
    }
    for what, new in cases.items():
        assert diff(db(table("t", old)), db(table("t", new)), NO_HINTS) == [
            AlterColumn(table="t", old=old, new=new, changes=frozenset({what}))
        ]


def test_comments_are_set_comment_not_alter_column() -> None:
    described = replace(NAME, comment="Full name.")
    index = Index(name="t_name_idx", keys=(IndexKey(column="name"),))
    actual = db(table("t", NAME, indexes=(index,)))
    desired = db(table("t", described, indexes=(replace(index, comment="For search."),), comment="Things."))
    assert diff(actual, desired, NO_HINTS) == [
        SetComment(target="column", table="t", name="name", comment="Full name."),
        SetComment(target="index", table="t", name="t_name_idx", comment="For search."),
        SetComment(target="table", table="t", name="t", comment="Things."),
    ]


def test_serial_equals_its_catalog_form_and_a_standalone_sequence_does_not() -> None:
    """The catalog reads a column that owns its sequence as ``serial`` (catalog.introspect); an integer
    drawing from a sequence it does not own is that, whatever the sequence's name (issue 11): wanting a
    serial there is a change of the column (the plan takes the sequence over, its values kept)."""
    declared = replace(table("t"), columns=(Column(name="id", type="serial"),))
    assert diff(db(declared), db(declared), NO_HINTS) == []
    standalone = replace(table("t"), columns=(
        Column(name="id", type="integer", nullable=False, default="nextval('t_id_seq'::regclass)"),))
    changes = diff(db(standalone), db(declared), NO_HINTS)
    assert len(changes) == 1 and isinstance(changes[0], AlterColumn) and changes[0].changes == {"default"}


def test_table_rename_hint_renames_and_keeps_the_rest() -> None:
    actual = db(table("teams", NAME), table("users", Column(name="team_id", type="integer"),
                foreign_keys=(ForeignKey(name="users_team_id_fkey", columns=("team_id",), ref_table="teams",
                                         ref_columns=("id",)),)))
    squads = replace(table("squads", NAME), primary_key=PrimaryKey(name="squads_pkey", columns=("id",)))
    users = replace(actual.table("users"), foreign_keys=(replace(actual.table("users").foreign_keys[0],
                                                                 ref_table="squads"),))
    desired = db(squads, users)
    assert diff(actual, desired, Hints(table_renames={"squads": "teams"})) == [
        RenameTable(old="teams", new="squads"),
        RenameConstraint(table="squads", old="teams_pkey", new="squads_pkey"),
    ]


def test_column_rename_hint_then_the_renamed_column_is_compared() -> None:
    actual = db(table("t", NAME, indexes=(Index(name="t_idx", keys=(IndexKey(column="name"),)),)))
    title = Column(name="title", type="character varying(80)")
    desired = db(table("t", title, indexes=(Index(name="t_idx", keys=(IndexKey(column="title"),)),)))
    assert diff(actual, desired, Hints(column_renames={("t", "title"): "name"})) == [
        RenameColumn(table="t", old="name", new="title"),
        AlterColumn(table="t", old=replace(NAME, name="title"), new=title, changes=frozenset({"type"}),
                    in_place=IN_PLACE),
    ]


def test_rename_hints_are_ignored_when_both_or_neither_exist() -> None:
    both = db(table("a"), table("b"))
    assert diff(both, both, Hints(table_renames={"b": "a"})) == []
    assert diff(db(table("x")), db(table("b")), Hints(table_renames={"b": "a"})) == [
        CreateTable(definition=table("b")),
        DropTable(definition=table("x")),
    ]
    with_both = db(table("t", NAME, EMAIL))
    assert diff(with_both, with_both, Hints(column_renames={("t", "email"): "name"})) == []


def test_same_name_other_definition_is_replaced_or_dropped_and_added() -> None:
    check = CheckConstraint(name="t_name_check", expression="(name <> ''::text)")
    index = Index(name="t_name_idx", keys=(IndexKey(column="name"),))
    unique = UniqueConstraint(name="t_name_key", columns=("name",))
    actual = db(table("t", NAME, EMAIL, checks=(check,), indexes=(index,), uniques=(unique,)))
    check2 = replace(check, expression="(length(name) > 1)")
    index2 = replace(index, where="(name IS NOT NULL)")
    unique2 = replace(unique, columns=("name", "email"))
    desired = db(table("t", NAME, EMAIL, checks=(check2,), indexes=(index2,), uniques=(unique2,)))
    assert diff(actual, desired, NO_HINTS) == [
        ReplaceKey(table="t", old=unique, new=unique2),  # built aside, then swapped
        # one change: the add carries the drop (one transaction), and what it replaces tells a loosening
        AddCheck(table="t", check=check2, replaces=check),
        ReplaceIndex(table="t", old=index, new=index2),
    ]


def test_same_definition_other_name_is_a_rename() -> None:
    index = Index(name="old_idx", keys=(IndexKey(column="name"),))
    actual = db(table("t", NAME, indexes=(index,)))
    desired = db(table("t", NAME, indexes=(replace(index, name="t_name_idx"),)))
    assert diff(actual, desired, NO_HINTS) == [RenameIndex(table="t", old="old_idx", new="t_name_idx")]


def test_invalid_index_is_dropped_and_built_again() -> None:
    index = Index(name="t_name_idx", keys=(IndexKey(column="name"),))
    actual = db(table("t", NAME, indexes=(replace(index, valid=False),)))
    assert diff(actual, db(table("t", NAME, indexes=(index,))), NO_HINTS) == [
        DropIndex(table="t", index=replace(index, valid=False)),
        CreateIndex(table="t", index=index),
    ]


def test_not_valid_constraints_are_validated() -> None:
    check = CheckConstraint(name="t_name_check", expression="(name <> ''::text)")
    fk = ForeignKey(name="t_parent_fkey", columns=("parent",), ref_table="t", ref_columns=("id",))
    parent = Column(name="parent", type="integer")
    actual = db(table("t", NAME, parent, checks=(replace(check, valid=False),),
                      foreign_keys=(replace(fk, valid=False),)))
    desired = db(table("t", NAME, parent, checks=(check,), foreign_keys=(fk,)))
    assert diff(actual, desired, NO_HINTS) == [
        ValidateConstraint(table="t", constraint=check),
        ValidateConstraint(table="t", constraint=fk),
    ]


def test_primary_key_added_and_dropped() -> None:
    bare = replace(table("t"), primary_key=None)
    assert diff(db(bare), db(table("t")), NO_HINTS) == [AddPrimaryKey(table="t", key=table("t").primary_key)]
    assert diff(db(table("t")), db(bare), NO_HINTS) == [DropPrimaryKey(table="t", key=table("t").primary_key)]


def test_foreign_keys_on_a_rebuilt_key_are_rebuilt_too() -> None:
    code = Column(name="code", type="text", nullable=False)
    fk = ForeignKey(name="b_code_fkey", columns=("code",), ref_table="a", ref_columns=("code",))
    old_key = UniqueConstraint(name="a_code_key", columns=("code",))
    new_key = replace(old_key, columns=("id", "code"))  # same name, other definition: swapped
    b = table("b", code, foreign_keys=(fk,))
    assert diff(db(table("a", code, uniques=(old_key,)), b), db(table("a", code, uniques=(new_key,)), b),
                NO_HINTS) == [
        ReplaceKey(table="a", old=old_key, new=new_key, foreign_keys=(("b", fk),)),  # dropped in the swap
        AddForeignKey(table="b", foreign_key=fk),
    ]
    assert diff(db(table("a", code, uniques=(old_key,)), b), db(table("a", code), b), NO_HINTS) == [
        DropUnique(table="a", constraint=old_key),
        DropForeignKey(table="b", foreign_key=fk),
        AddForeignKey(table="b", foreign_key=fk),
    ]


def test_a_recomputed_generated_column_rebuilds_its_index() -> None:
    old = Column(name="vin", type="text", generated="(data ->> 'vin'::text)")
    new = replace(old, generated="upper((data ->> 'vin'::text))")
    data = Column(name="data", type="jsonb")
    index = Index(name="t_vin_idx", keys=(IndexKey(column="vin"),))
    other = Index(name="t_data_idx", keys=(IndexKey(column="data"),), method="gin")
    actual = db(table("t", data, old, indexes=(index, other)))
    desired = db(table("t", data, new, indexes=(index, other)))
    # DROP COLUMN takes the old index along; the new one is built in the transaction that adds the column
    assert diff(actual, desired, NO_HINTS) == [
        AlterColumn(table="t", old=old, new=new, changes=frozenset({"generated"}), indexes=(index,)),
    ]


def test_indexes_and_checks_that_cast_to_a_rebuilt_enum_go_with_the_rebuild() -> None:
    status = Column(name="status", type="lead_status")
    check = CheckConstraint(name="t_status_check", expression="(status <> 'lost'::lead_status)")
    index = Index(name="t_new_idx", keys=(IndexKey(column="id"),), where="(status = 'new'::lead_status)")
    plain = Index(name="t_status_idx", keys=(IndexKey(column="status"),))
    tables = (table("t", status, checks=(check,), indexes=(index, plain)),)
    smaller = replace(LEAD_STATUS, values=("new", "lost"))
    assert diff(Database(enums=(LEAD_STATUS,), tables=tables), Database(enums=(smaller,), tables=tables),
                NO_HINTS) == [
        # dropped and made again in the transaction that converts the column (the plain index stays)
        ReplaceEnum(old=LEAD_STATUS, new=smaller, columns=(("t", status),), indexes=(("t", index, index),),
                    checks=(("t", check, check),)),
    ]


def test_alter_column_type_rebuilds_what_differs_only_in_casts() -> None:
    # ALTER COLUMN TYPE re-parses the index predicate and the CHECK against the new type itself.
    zip_text, zip_short = Column(name="zip", type="text"), Column(name="zip", type="character varying(10)")
    old_index = model.Index(name="t_zip_key", keys=(model.IndexKey(column="zip"),), unique=True,
                            where="(zip <> ''::text)")
    old_check = model.CheckConstraint(name="t_zip_check", expression="(zip <> ''::text)")
    old = model.Table(name="t", columns=(zip_text,), indexes=(old_index,), checks=(old_check,))
    new_index = replace(old_index, where="((zip)::text <> ''::text)")
    new_check = replace(old_check, expression="((zip)::text <> ''::text)")
    new = replace(old, columns=(zip_short,), indexes=(new_index,), checks=(new_check,))
    retyped = AlterColumn(table="t", old=zip_text, new=zip_short, changes=frozenset({"type"}), in_place=IN_PLACE)
    assert diff(db(old), db(new), NO_HINTS) == [retyped]
    # A predicate that changes for real is still replaced (built aside, then swapped).
    other = replace(new, indexes=(replace(new_index, where="((zip)::text <> '0'::text)"),))
    assert [type(c).__name__ for c in diff(db(old), db(other), NO_HINTS)] == ["AlterColumn", "ReplaceIndex"]


def test_two_nextval_defaults_of_different_sequences_differ() -> None:
    """Issue 11 item 6: drawing from another sequence is another default; a serial matches its own
    sequence whatever its name (a renamed table keeps its sequence's old name)."""
    from pgevolve.diff.tables import column_changes

    item = model.Column(name="id", type="integer", nullable=False, default="nextval('item_id_seq'::regclass)")
    other = replace(item, default="nextval('other_seq'::regclass)")
    assert column_changes(item, other) == frozenset({"default"})
    assert column_changes(item, item) == frozenset()
    assert column_changes(replace(item, default="nextval('old_id_seq'::regclass)"),
                          replace(item, type="serial", default=None)) == frozenset()
