"""Each difference between the live database and the YAML, as a fact: what the database has, what the YAML says.

The differ's changes say how to make the database like the YAML ("add column");
drift says what differs ("column `leads.phone`: in the YAML, not in the
database"). Values are spelled as SQL or YAML would spell them: `true`, not True.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, assert_never

from pgevolve import changes as ch
from pgevolve import model

Value = str | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One difference. ``property`` None: the object itself exists on one side only (the other is None)."""

    kind: str  # "table", "column", "index", "check", "view", "grant", ...
    object: str  # "leads", "leads.phone", "leads_status_id_idx"
    property: str | None
    live: Value
    yaml: Value
    table: str | None = None  # the table a constraint or index belongs to
    managed: bool = True  # False: the format does not describe it (found by --strict)

    def text(self) -> str:
        where = f" on `{self.table}`" if self.table else ""
        head = f"{self.kind} `{self.object}`{where}"
        if self.property is None:
            side, other = ("database", "YAML") if self.yaml is None else ("YAML", "database")
            value = self.live if self.yaml is None else self.yaml
            definition = f" ({show(value)})" if isinstance(value, str) and value else ""
            made = "" if self.managed else "; made by hand, left alone by pgevolve"
            return f"{head}: in the {side}, not in the {other}{definition}{made}"
        if not self.managed:
            return (f"{self.property} of {self.kind} `{self.object}`: {show(self.live)} in the database; a fresh "
                    f"build from the YAML has {show(self.yaml)}")
        return f"{head}: {self.property} is {show(self.live)} in the database, {show(self.yaml)} in the YAML"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "object": self.object, "property": self.property,
                                   "live": self.live, "yaml": self.yaml}
        if self.table:
            data["table"] = self.table
        data["managed"] = self.managed
        data["text"] = self.text()
        return data


def show(value: Value) -> str:
    """A value as YAML or SQL prints it."""
    match value:
        case None:
            return "none"
        case bool():
            return "true" if value else "false"
        case str():
            return f"`{value}`"
    assert_never(value)


def _list(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(names) + "]"


def column_definition(column: model.Column) -> str:
    text = column.type
    if not column.nullable:
        text += " NOT NULL"
    if column.default is not None:
        text += f" DEFAULT {column.default}"
    return text


def _index_key(key: model.IndexKey) -> str:
    text = key.column if key.column is not None else f"({key.expression})"
    text += f" {key.opclass}" if key.opclass else ""
    text += " DESC" if key.descending else ""
    return text + ("" if key.nulls_first is None else " NULLS FIRST" if key.nulls_first else " NULLS LAST")


def index_definition(index: model.Index) -> str:
    keys = ", ".join(_index_key(k) for k in index.keys)
    text = f"{'UNIQUE ' if index.unique else ''}{index.method} ({keys})"
    if index.include:
        text += f" INCLUDE ({', '.join(index.include)})"
    if index.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if index.where:
        text += f" WHERE {index.where}"
    return text


def foreign_key_definition(fk: model.ForeignKey) -> str:
    target = f"{fk.ref_schema + '.' if fk.ref_schema else ''}{fk.ref_table}({', '.join(fk.ref_columns)})"
    text = f"({', '.join(fk.columns)}) REFERENCES {target}"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    return text + _timing(fk.deferrable, fk.initially_deferred)


def _timing(deferrable: bool, initially_deferred: bool) -> str:
    if initially_deferred:
        return " DEFERRABLE INITIALLY DEFERRED"
    return " DEFERRABLE" if deferrable else ""


def key_definition(key: model.PrimaryKey | model.UniqueConstraint) -> str:
    include = f" INCLUDE ({', '.join(key.include)})" if key.include else ""
    timing = _timing(key.deferrable, key.initially_deferred)
    if isinstance(key, model.PrimaryKey):
        return f"PRIMARY KEY ({', '.join(key.columns)}){include}{timing}"
    nulls = " NULLS NOT DISTINCT" if key.nulls_not_distinct else ""
    return f"UNIQUE{nulls} ({', '.join(key.columns)}){include}{timing}"


def _replica_identity(identity: model.ReplicaIdentity, index: str | None) -> str:
    return f"USING INDEX {index}" if index else identity.upper()


_COLUMN_VALUES = {
    "type": lambda c: c.type,
    "nullable": lambda c: c.nullable,
    "default": lambda c: c.default,
    "identity": lambda c: c.identity,
    "generated": lambda c: c.generated,
    "collation": lambda c: c.collation,
}


def differences(change: ch.Change, actual: model.Database) -> list[Difference]:
    """The facts behind one change of the differ (actual: the live database, for the values it replaces)."""
    match change:
        case ch.CreateSchema(name=name):
            return [Difference(kind="schema", object=name, property=None, live=None, yaml=True)]
        case ch.CreateExtension(extension=ext):
            return [Difference(kind="extension", object=ext.name, property=None, live=None, yaml=True)]
        case ch.SetExtensionSchema(name=name, old_schema=old, new_schema=new):
            return [Difference(kind="extension", object=name, property="schema", live=old or actual.schema,
                               yaml=new or actual.schema)]
        case ch.CreateEnum(enum=enum):
            return [Difference(kind="enum", object=enum.name, property=None, live=None, yaml=_list(enum.values))]
        case ch.DropEnum(enum=enum):
            return [Difference(kind="enum", object=enum.name, property=None, live=_list(enum.values), yaml=None)]
        case ch.AddEnumValue(enum=enum, value=value):
            return [Difference(kind="enum value", object=f"{enum}.{value}", property=None, live=None, yaml=True)]
        case ch.ReplaceEnum(old=old, new=new):
            return [Difference(kind="enum", object=new.name, property="values", live=_list(old.values),
                               yaml=_list(new.values))]
        case ch.CreateTable(definition=table):
            return [Difference(kind="table", object=table.name, property=None, live=None,
                               yaml=f"{len(table.columns)} columns")]
        case ch.DropTable(definition=table):
            return [Difference(kind="table", object=table.name, property=None, live=f"{len(table.columns)} columns",
                               yaml=None)]
        case ch.RenameTable(old=old, new=new):
            return [Difference(kind="table", object=new, property="name", live=old, yaml=new)]
        case ch.SetStorage(table=table, set=set_, reset=reset):
            found = actual.table(table)
            before, wanted = dict(found.storage if found else ()), dict(set_)
            return [Difference(kind="table", object=table, property=f"storage parameter {name}",
                               live=before.get(name), yaml=wanted.get(name)) for name in sorted({*wanted, *reset})]
        case ch.SetReplicaIdentity(table=table, identity=identity, index=index):
            found = actual.table(table)
            identity_now = _replica_identity(found.replica_identity, found.replica_identity_index) if found else None
            return [Difference(kind="table", object=table, property="replica identity", live=identity_now,
                               yaml=_replica_identity(identity, index))]
        case ch.AddColumn(table=table, column=column):
            return [Difference(kind="column", object=f"{table}.{column.name}", property=None, live=None,
                               yaml=column_definition(column))]
        case ch.DropColumn(table=table, column=column):
            return [Difference(kind="column", object=f"{table}.{column.name}", property=None,
                               live=column_definition(column), yaml=None)]
        case ch.RenameColumn(table=table, old=old, new=new):
            return [Difference(kind="column", object=f"{table}.{new}", property="name", live=old, yaml=new)]
        case ch.AlterColumn(table=table, old=old, new=new, changes=changed):
            return [Difference(kind="column", object=f"{table}.{new.name}", property=what,
                               live=_COLUMN_VALUES[what](old), yaml=_COLUMN_VALUES[what](new))
                    for what in sorted(changed)]
        case _:
            return _constraint_differences(change, actual)


def _constraint_differences(change: ch.Change, actual: model.Database) -> list[Difference]:
    match change:
        case ch.AddPrimaryKey(table=table, key=key) | ch.AddUnique(table=table, constraint=key):
            return [Difference(kind=_key_kind(key), object=key.name, table=table, property=None, live=None,
                               yaml=key_definition(key))]
        case ch.DropPrimaryKey(table=table, key=key) | ch.DropUnique(table=table, constraint=key):
            return [Difference(kind=_key_kind(key), object=key.name, table=table, property=None,
                               live=key_definition(key), yaml=None)]
        case ch.ReplaceKey(table=table, old=old, new=new):
            return [Difference(kind=_key_kind(new), object=new.name, table=table, property="definition",
                               live=key_definition(old), yaml=key_definition(new))]
        case ch.AddCheck(table=table, check=check, replaces=None):
            return [Difference(kind="check", object=check.name, table=table, property=None, live=None,
                               yaml=check.expression)]
        case ch.AddCheck(table=table, check=check, replaces=model.CheckConstraint() as old):
            return [Difference(kind="check", object=check.name, table=table, property="definition",
                               live=old.expression, yaml=check.expression)]
        case ch.DropCheck(table=table, check=check):
            return [Difference(kind="check", object=check.name, table=table, property=None,
                               live=check.expression, yaml=None)]
        case ch.AddForeignKey(table=table, foreign_key=fk):
            return [Difference(kind="foreign key", object=fk.name, table=table, property=None, live=None,
                               yaml=foreign_key_definition(fk))]
        case ch.DropForeignKey(table=table, foreign_key=fk):
            return [Difference(kind="foreign key", object=fk.name, table=table, property=None,
                               live=foreign_key_definition(fk), yaml=None)]
        case ch.AlterForeignKey(table=table, old=old, new=new):
            return [Difference(kind="foreign key", object=new.name, table=table, property="timing",
                               live=_timing(old.deferrable, old.initially_deferred).strip() or "NOT DEFERRABLE",
                               yaml=_timing(new.deferrable, new.initially_deferred).strip() or "NOT DEFERRABLE")]
        case ch.ValidateConstraint(table=table, constraint=constraint):
            kind = "check" if isinstance(constraint, model.CheckConstraint) else "foreign key"
            return [Difference(kind=kind, object=constraint.name, table=table, property="validated",
                               live=False, yaml=True)]
        case ch.RenameConstraint(table=table, old=old, new=new):
            return [Difference(kind="constraint", object=new, table=table, property="name", live=old, yaml=new)]
        case _:
            return _index_differences(change, actual)


def _key_kind(key: model.PrimaryKey | model.UniqueConstraint) -> str:
    return "primary key" if isinstance(key, model.PrimaryKey) else "unique constraint"


def _index_differences(change: ch.Change, actual: model.Database) -> list[Difference]:
    match change:
        case ch.CreateIndex(table=table, index=index):
            return [Difference(kind="index", object=index.name, table=table, property=None, live=None,
                               yaml=index_definition(index))]
        case ch.DropIndex(table=table, index=index):
            return [Difference(kind="index", object=index.name, table=table, property=None,
                               live=index_definition(index), yaml=None)]
        case ch.ReplaceIndex(table=table, old=old, new=new) if not old.valid and old.keys == new.keys:
            return [Difference(kind="index", object=new.name, table=table, property="valid", live=False, yaml=True)]
        case ch.ReplaceIndex(table=table, old=old, new=new):
            return [Difference(kind="index", object=new.name, table=table, property="definition",
                               live=index_definition(old), yaml=index_definition(new))]
        case ch.RenameIndex(table=table, old=old, new=new):
            return [Difference(kind="index", object=new, table=table, property="name", live=old, yaml=new)]
        case ch.SetComment(target=target, table=table, name=name, comment=comment):
            what = f"{table}.{name}" if target == "column" else name
            return [Difference(kind=target, object=what, property="description",
                               live=_live_comment(actual, change), yaml=comment)]
        case _:
            return _promotion_differences(change)


def _promotion_differences(change: ch.Change) -> list[Difference]:
    match change:
        case ch.PromoteColumn(table=table, column=column, trigger=t, sync_exists=True):
            return [Difference(kind="promotion", object=f"{table}.{column.name}", property="backfilled",
                               live=False, yaml=True)]
        case ch.PromoteColumn(table=table, column=column, trigger=t):
            return [Difference(kind="promotion sync trigger", object=f"{table}.{column.name}", property=None,
                               live=None, yaml=f"promoted_from: {t.source_column}.{t.key}")]
        case ch.DropSyncTrigger(trigger=t):
            return [Difference(kind="promotion sync trigger", object=f"{t.table}.{t.column}", property=None,
                               live=f"copies {t.source_column}.{t.key}", yaml=None)]
        case ch.RenameSyncTrigger(trigger=t):
            return [Difference(kind="promotion sync trigger", object=f"{t.table}.{t.column}", property="name",
                               live=t.name, yaml=f"named after table {t.table}")]
        case _:
            raise AssertionError(f"no drift fact for {type(change).__name__}")


def _live_comment(actual: model.Database, change: ch.SetComment) -> str | None:
    """The comment the live object has now (SetComment carries only the wanted one)."""
    table = next((t for t in actual.tables if t.name == change.table), None)
    match change.target:
        case "table":
            found = next((t for t in actual.tables if t.name == change.name), None)
            return found.comment if found else None
        case "column":
            column = next((c for c in table.columns if c.name == change.name), None) if table else None
            return column.comment if column else None
        case "index":
            index = next((i for t in actual.tables for i in t.indexes if i.name == change.name), None)
            return index.comment if index else None
        case "type":
            enum = next((e for e in actual.enums if e.name == change.name), None)
            return enum.comment if enum else None
    assert_never(change.target)
