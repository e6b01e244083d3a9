"""The one place SQL text is built.

Every identifier is quoted and every object schema-qualified. The fragments that
stay SQL text (types, operator classes, collations, access methods, defaults, CHECKs,
index keys, predicates) go through ``fragments``, whatever their source: the YAML was
checked by validation already, but a saved plan or a catalog value was not, so nothing
is pasted here unchecked. Statements are returned without the trailing semicolon;
renderers add it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import assert_never

from pgevolve import model
from pgevolve.errors import UnsafeSql
from pgevolve.sqltext import storage
from pgevolve.sqltext.fragments import collation_sql, default_sql, expression_sql, opclass_sql, safe_type
from pgevolve.sqltext.ident import qualify, quote_ident, quote_literal, sequence_name
from pgevolve.sqltext.type_changes import parse_type
from pgevolve.sqltext.type_names import SERIAL_TYPES, enum_reference

# The index access methods the format and the catalog reader know: written bare, never from free text.
INDEX_METHODS = ("btree", "hash", "gist", "spgist", "gin", "brin")


@dataclass(frozen=True, slots=True)
class Scope:
    """The owned schema and the enums in it: what names need qualifying."""

    schema: str
    enums: frozenset[str] = frozenset()

    @classmethod
    def of(cls, db: model.Database) -> Scope:
        return cls(db.schema, frozenset(e.name for e in db.enums))

    def name(self, name: str) -> str:
        return qualify(self.schema, name)

    def type(self, text: str) -> str:
        """A column type; the owned schema's enums are schema-qualified."""
        return _scoped_type(self.schema, self.enums, text)


@lru_cache(maxsize=4096)
def _scoped_type(schema: str, enums: frozenset[str], text: str) -> str:
    """``Scope.type``, remembered: a large schema spells the same few dozen types in thousands of columns."""
    found = enum_reference(text, enums, schema)
    return qualify(schema, found[0]) + "[]" * found[1] if found else safe_type(text)


# -- schema, extensions, enums ----------------------------------------------------------------

def create_schema(name: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}"


def create_extension(extension: model.Extension, scope: Scope) -> str:
    where = quote_ident(extension.schema or scope.schema)
    return f"CREATE EXTENSION IF NOT EXISTS {quote_ident(extension.name)} WITH SCHEMA {where}"


def set_extension_schema(name: str, schema: str) -> str:
    return f"ALTER EXTENSION {quote_ident(name)} SET SCHEMA {quote_ident(schema)}"


def create_enum(enum: model.EnumType, scope: Scope) -> str:
    values = ", ".join(quote_literal(v) for v in enum.values)
    return f"CREATE TYPE {scope.name(enum.name)} AS ENUM ({values})"


def add_enum_value(enum: str, value: str, scope: Scope, *, before: str | None, after: str | None) -> str:
    where = f" BEFORE {quote_literal(before)}" if before else f" AFTER {quote_literal(after)}" if after else ""
    return f"ALTER TYPE {scope.name(enum)} ADD VALUE IF NOT EXISTS {quote_literal(value)}{where}"


def rename_type(name: str, new: str, scope: Scope) -> str:
    return f"ALTER TYPE {scope.name(name)} RENAME TO {quote_ident(new)}"


def drop_type(name: str, scope: Scope) -> str:
    return f"DROP TYPE {scope.name(name)}"


# -- tables and columns -------------------------------------------------------------------------

def serial_type(table: str, column: model.Column) -> str | None:
    """serial/bigserial/smallserial when the column is declared so (the catalog reader spells a true serial so).

    Only the type says it: a ``nextval('item_id_seq')`` default on an integer column is a standalone
    sequence the column draws from, kept as it is even when its name looks like a serial's (issue 11
    item 6): turning it into ``serial`` would make the sequence owned, restart it and change its type.
    """
    del table  # kept for the callers' symmetry with sequence_name(table, column)
    return column.type.lower() if column.type.lower() in SERIAL_TYPES else None


def column_definition(table: str, column: model.Column, scope: Scope) -> str:
    """``"name" type [COLLATE] [GENERATED ...|DEFAULT ...] [NOT NULL]``."""
    serial = serial_type(table, column)
    parts = [quote_ident(column.name), serial or scope.type(column.type)]
    if column.collation:
        parts.append(f"COLLATE {collation_sql(column.collation)}")
    if column.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({expression_sql(column.generated, 'generated expression')}) STORED")
    elif column.identity:
        parts.append(f"GENERATED {_identity(column.identity)} AS IDENTITY")
    elif column.default is not None and serial is None:
        parts.append(f"DEFAULT {default_sql(column.default)}")
    if not column.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


_IDENTITY_KINDS = ("ALWAYS", "BY DEFAULT")
_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")


def _identity(kind: str) -> str:
    return _keyword(kind, _IDENTITY_KINDS, "identity kind")


def _keyword(value: str, allowed: tuple[str, ...], what: str) -> str:
    """One of a fixed set of SQL keywords (a saved plan is read from a file: checked, not trusted)."""
    if value not in allowed:
        raise UnsafeSql(f"refusing to build SQL with the {what} {value!r}: expected one of {', '.join(allowed)}")
    return value


def create_table(table: model.Table, scope: Scope) -> str:
    """CREATE TABLE with columns, primary key, UNIQUE, valid CHECKs and storage parameters (foreign keys later)."""
    lines = [column_definition(table.name, c, scope) for c in table.columns]
    if table.primary_key:
        lines.append(constraint_clause(table.primary_key, scope))
    lines += [constraint_clause(u, scope) for u in model.sort_by_name(table.uniques)]
    lines += [constraint_clause(c, scope) for c in model.sort_by_name(table.checks) if c.valid]
    body = "\n    " + ",\n    ".join(lines) + "\n" if lines else ""  # a table may have no column
    with_ = f" WITH ({_storage_list(table.storage)})" if table.storage else ""
    return f"CREATE TABLE {scope.name(table.name)} ({body}){with_}"


def _storage_list(parameters: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{storage.sql_name(name)} = {storage.sql_value(name, _storage_value(name, value))}"
                     for name, value in parameters)


def _storage_value(name: str, value: str) -> str:
    """A value in its canonical spelling, checked again: numbers and booleans are written bare."""
    try:
        if name in storage.TABLE_PARAMETERS and storage.canonical_value(name, value) == value:
            return value
    except storage.StorageValueError:
        pass
    raise UnsafeSql(f"refusing to build SQL with the storage parameter {name} = {value!r}")


def set_storage(table: str, parameters: Sequence[tuple[str, str]], scope: Scope) -> str:
    """ALTER TABLE ... SET (name = value, ...): names from the format's list, values in their canonical spelling."""
    return _alter(table, scope, f"SET ({_storage_list(parameters)})")


def reset_storage(table: str, names: Sequence[str], scope: Scope) -> str:
    return _alter(table, scope, f"RESET ({', '.join(storage.sql_name(n) for n in names)})")


def set_replica_identity(table: str, identity: model.ReplicaIdentity, index: str | None, scope: Scope) -> str:
    """ALTER TABLE ... REPLICA IDENTITY DEFAULT | FULL | NOTHING | USING INDEX."""
    match identity:
        case "index":
            assert index is not None
            what = f"USING INDEX {quote_ident(index)}"
        case "default" | "full" | "nothing":
            what = identity.upper()
        case _:
            assert_never(identity)
    return _alter(table, scope, f"REPLICA IDENTITY {what}")


def drop_table(table: str, scope: Scope) -> str:
    return f"DROP TABLE {scope.name(table)}"


def rename_table(old: str, new: str, scope: Scope) -> str:
    return f"ALTER TABLE {scope.name(old)} RENAME TO {quote_ident(new)}"


def _alter(table: str, scope: Scope, action: str) -> str:
    return f"ALTER TABLE {scope.name(table)} {action}"


def _alter_column(table: str, column: str, scope: Scope, action: str) -> str:
    return _alter(table, scope, f"ALTER COLUMN {quote_ident(column)} {action}")


def add_column(table: str, column: model.Column, scope: Scope) -> str:
    return _alter(table, scope, f"ADD COLUMN {column_definition(table, column, scope)}")


def drop_column(table: str, column: str, scope: Scope) -> str:
    return _alter(table, scope, f"DROP COLUMN {quote_ident(column)}")


def rename_column(table: str, old: str, new: str, scope: Scope) -> str:
    return _alter(table, scope, f"RENAME COLUMN {quote_ident(old)} TO {quote_ident(new)}")


def alter_column_type(table: str, column: model.Column, scope: Scope, *, using: bool,
                      expression: str | None = None) -> str:
    """ALTER COLUMN ... TYPE; ``using`` adds ``USING col::type`` (needed without an assignment cast),
    ``expression`` (the YAML's ``using:``, a checked expression) ``USING (expression)`` instead."""
    new_type = scope.type(column.type)
    action = f"TYPE {new_type}"
    if column.collation:
        action += f" COLLATE {collation_sql(column.collation)}"
    if expression is not None:
        action += f" USING ({expression_sql(expression, 'conversion (using:)')})"
    elif using:
        action += f" USING {quote_ident(column.name)}::{new_type}"
    return _alter_column(table, column.name, scope, action)


def retype_through_text(table: str, column: model.Column, scope: Scope) -> str:
    """ALTER COLUMN ... TYPE t USING col::text::t: from one enum type to another of the same name."""
    new_type = scope.type(column.type)
    text = "text" + "[]" * parse_type(column.type).array_dims
    using = f"{quote_ident(column.name)}::{text}::{new_type}"
    return _alter_column(table, column.name, scope, f"TYPE {new_type} USING {using}")


def set_default(table: str, column: str, default: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, f"SET DEFAULT {expression_sql(default, 'default')}")


def drop_default(table: str, column: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, "DROP DEFAULT")


def set_not_null(table: str, column: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, "SET NOT NULL")


def drop_not_null(table: str, column: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, "DROP NOT NULL")


def add_identity(table: str, column: str, kind: model.IdentityKind, scope: Scope) -> str:
    return _alter_column(table, column, scope, f"ADD GENERATED {_identity(kind)} AS IDENTITY")


def set_identity(table: str, column: str, kind: model.IdentityKind, scope: Scope) -> str:
    return _alter_column(table, column, scope, f"SET GENERATED {_identity(kind)}")


def drop_identity(table: str, column: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, "DROP IDENTITY")


def drop_expression(table: str, column: str, scope: Scope) -> str:
    return _alter_column(table, column, scope, "DROP EXPRESSION")


def create_owned_sequence(table: str, column: model.Column, scope: Scope) -> str:
    """The sequence a serial default needs, owned by its column (dropped with it)."""
    sequence = scope.name(sequence_name(table, column.name))
    owner = f"{scope.name(table)}.{quote_ident(column.name)}"
    as_type = serial_base(column.type)
    return f"CREATE SEQUENCE IF NOT EXISTS {sequence} AS {as_type} OWNED BY {owner}"


def own_sequence(table: str, column: model.Column, scope: Scope) -> str:
    """ALTER SEQUENCE ... AS ... OWNED BY: a standalone sequence of a serial's name becomes the column's."""
    sequence = scope.name(sequence_name(table, column.name))
    owner = f"{scope.name(table)}.{quote_ident(column.name)}"
    return f"ALTER SEQUENCE {sequence} AS {serial_base(column.type)} OWNED BY {owner}"


def disown_sequence(name: str, scope: Scope) -> str:
    """ALTER SEQUENCE ... OWNED BY NONE: a serial's sequence becomes a standalone one."""
    return f"ALTER SEQUENCE {scope.name(name)} OWNED BY NONE"


def serial_base(type_text: str) -> str:
    """The integer type under a serial spelling (``bigserial`` -> ``bigint``); other types as they are."""
    return safe_type(SERIAL_TYPES.get(type_text.lower(), parse_type(type_text).base))


def serial_default(table: str, column: str, scope: Scope) -> str:
    """``nextval('"schema"."<table>_<column>_seq"'::regclass)``: the default a serial column gets."""
    return f"nextval({quote_literal(scope.name(sequence_name(table, column)))}::regclass)"


def set_sequence_past_values(table: str, column: str, scope: Scope, *, identity: bool) -> str:
    """Move the column's sequence past the largest existing value (no row: it stays at its start)."""
    if identity:
        sequence = f"pg_get_serial_sequence({quote_literal(scope.name(table))}, {quote_literal(column)})"
    else:
        sequence = quote_literal(scope.name(sequence_name(table, column)))
    col = quote_ident(column)
    # HAVING: setval refuses a value below the sequence's minimum (1), and an empty table has no max.
    return f"SELECT setval({sequence}, max({col})) FROM {scope.name(table)} HAVING max({col}) > 0"


def drop_sequence(name: str, scope: Scope) -> str:
    return f"DROP SEQUENCE {scope.name(name)}"


def rename_sequence(old: str, new: str, scope: Scope) -> str:
    return f"ALTER SEQUENCE {scope.name(old)} RENAME TO {quote_ident(new)}"


def alter_sequence_type(name: str, type_text: str, scope: Scope) -> str:
    return f"ALTER SEQUENCE {scope.name(name)} AS {safe_type(type_text)}"


# -- constraints ------------------------------------------------------------------------------

Constraint = model.PrimaryKey | model.UniqueConstraint | model.CheckConstraint | model.ForeignKey


def _columns(names: Sequence[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def _include(columns: Sequence[str]) -> str:
    return f" INCLUDE ({_columns(columns)})" if columns else ""


def _deferrable(deferrable: bool, initially_deferred: bool) -> str:
    if not deferrable:
        return ""
    return " DEFERRABLE INITIALLY DEFERRED" if initially_deferred else " DEFERRABLE"


def constraint_clause(constraint: Constraint, scope: Scope) -> str:
    """``CONSTRAINT "name" PRIMARY KEY (...)`` and the like, without NOT VALID."""
    head = f"CONSTRAINT {quote_ident(constraint.name)}"
    match constraint:
        case model.PrimaryKey():
            tail = _include(constraint.include) + _deferrable(constraint.deferrable, constraint.initially_deferred)
            return f"{head} PRIMARY KEY ({_columns(constraint.columns)}){tail}"
        case model.UniqueConstraint():
            tail = _include(constraint.include) + _deferrable(constraint.deferrable, constraint.initially_deferred)
            nulls = " NULLS NOT DISTINCT" if constraint.nulls_not_distinct else ""
            return f"{head} UNIQUE{nulls} ({_columns(constraint.columns)}){tail}"
        case model.CheckConstraint():
            check = expression_sql(constraint.expression, "CHECK expression")
            return f"{head} CHECK ({check})" + (" NO INHERIT" if constraint.no_inherit else "")
        case model.ForeignKey():
            return f"{head} {_foreign_key(constraint, scope)}"
        case _:
            assert_never(constraint)


def _foreign_key(fk: model.ForeignKey, scope: Scope) -> str:
    target = qualify(fk.ref_schema or scope.schema, fk.ref_table)
    text = f"FOREIGN KEY ({_columns(fk.columns)}) REFERENCES {target} ({_columns(fk.ref_columns)})"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {_keyword(fk.on_delete, _ACTIONS, 'ON DELETE action')}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {_keyword(fk.on_update, _ACTIONS, 'ON UPDATE action')}"
    return text + _deferrable(fk.deferrable, fk.initially_deferred)


def add_constraint(table: str, constraint: Constraint, scope: Scope, *, not_valid: bool = False) -> str:
    tail = " NOT VALID" if not_valid else ""
    return _alter(table, scope, f"ADD {constraint_clause(constraint, scope)}{tail}")


def add_key_using_index(table: str, key: model.PrimaryKey | model.UniqueConstraint, scope: Scope,
                        index: str | None = None) -> str:
    """PRIMARY KEY/UNIQUE USING INDEX: attach a unique index (``index``, else the key's name) as the constraint.

    PostgreSQL renames an index of another name to the constraint's name.
    """
    name, using = quote_ident(key.name), quote_ident(index or key.name)
    # INCLUDE columns and NULLS NOT DISTINCT come with the index; deferrability is the constraint's.
    tail = _deferrable(key.deferrable, key.initially_deferred)
    kind = "PRIMARY KEY" if isinstance(key, model.PrimaryKey) else "UNIQUE"
    return _alter(table, scope, f"ADD CONSTRAINT {name} {kind} USING INDEX {using}{tail}")


def alter_constraint_timing(table: str, name: str, deferrable: bool, initially_deferred: bool, scope: Scope) -> str:
    """ALTER CONSTRAINT ... [NOT] DEFERRABLE [INITIALLY ...]: PostgreSQL allows it for foreign keys only."""
    timing = "NOT DEFERRABLE"
    if deferrable:
        timing = "DEFERRABLE INITIALLY DEFERRED" if initially_deferred else "DEFERRABLE INITIALLY IMMEDIATE"
    return _alter(table, scope, f"ALTER CONSTRAINT {quote_ident(name)} {timing}")


def validate_constraint(table: str, name: str, scope: Scope) -> str:
    return _alter(table, scope, f"VALIDATE CONSTRAINT {quote_ident(name)}")


def drop_constraint(table: str, name: str, scope: Scope) -> str:
    return _alter(table, scope, f"DROP CONSTRAINT {quote_ident(name)}")


def rename_constraint(table: str, old: str, new: str, scope: Scope) -> str:
    return _alter(table, scope, f"RENAME CONSTRAINT {quote_ident(old)} TO {quote_ident(new)}")


# -- indexes ----------------------------------------------------------------------------------

def _index_key(key: model.IndexKey) -> str:
    if key.column is not None:
        text = quote_ident(key.column)
    else:
        text = f"({expression_sql(key.expression or '', 'index expression')})"
    if key.opclass:
        text += f" {opclass_sql(key.opclass)}"
    if key.descending:
        text += " DESC"
    if key.nulls_first is not None:
        text += " NULLS FIRST" if key.nulls_first else " NULLS LAST"
    return text


def create_index(table: str, index: model.Index, scope: Scope, *, concurrently: bool) -> str:
    unique = "UNIQUE " if index.unique else ""
    how = "CONCURRENTLY " if concurrently else ""
    keys = ", ".join(_index_key(k) for k in index.keys)
    using = _keyword(index.method, INDEX_METHODS, "index access method")
    text = f"CREATE {unique}INDEX {how}{quote_ident(index.name)} ON {scope.name(table)} USING {using} ({keys})"
    text += _include(index.include)
    if index.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    if index.where:
        text += f" WHERE ({expression_sql(index.where, 'index predicate')})"
    return text


def drop_index(name: str, scope: Scope, *, concurrently: bool) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    return f"DROP INDEX {how}{scope.name(name)}"


def rename_index(old: str, new: str, scope: Scope) -> str:
    return f"ALTER INDEX {scope.name(old)} RENAME TO {quote_ident(new)}"


# -- comments ---------------------------------------------------------------------------------

def comment_on(target: str, table: str | None, name: str, comment: str | None, scope: Scope) -> str:
    """COMMENT ON TABLE/COLUMN/INDEX/TYPE ... IS '...' (or NULL to remove it)."""
    text = quote_literal(comment) if comment is not None else "NULL"
    match target:
        case "column":
            assert table is not None
            what = f"COLUMN {scope.name(table)}.{quote_ident(name)}"
        case "table" | "index" | "type":
            what = f"{target.upper()} {scope.name(name)}"
        case _:
            raise ValueError(f"no comment target {target!r}")
    return f"COMMENT ON {what} IS {text}"


# -- the whole schema -------------------------------------------------------------------------

def extension_statements(db: model.Database) -> list[str]:
    """CREATE EXTENSION IF NOT EXISTS for each listed one, after the schemas they are installed in."""
    scope = Scope.of(db)
    schemas = sorted({e.schema for e in db.extensions if e.schema} - {db.schema})
    extensions = [create_extension(e, scope) for e in model.sort_by_name(db.extensions)]
    return [*(create_schema(s) for s in schemas), *extensions]


def external_table_stubs(db: model.Database, owned: Iterable[str] = ()) -> list[str]:
    """For the scratch database only: a stand-in for each table of an external schema that a foreign key
    references, with the referenced columns (typed like the referencing ones) and a UNIQUE on each set, so
    that the foreign keys build there and read back as they do on the target (where the real table is)."""
    scope = Scope.of(db)
    columns: dict[tuple[str, str], dict[str, str]] = {}
    keys: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for table in model.sort_by_name(db.tables):
        for fk in model.sort_by_name(table.foreign_keys):
            if fk.ref_schema is None or fk.ref_schema == db.schema or fk.ref_schema in owned:
                continue
            target = (fk.ref_schema, fk.ref_table)
            for mine, theirs in zip(fk.columns, fk.ref_columns, strict=True):
                column = table.column(mine)
                typed = scope.type(serial_base(column.type)) if column is not None else "text"
                columns.setdefault(target, {}).setdefault(theirs, typed)
            if fk.ref_columns not in keys.setdefault(target, []):
                keys[target].append(fk.ref_columns)
    statements = [create_schema(s) for s in sorted({s for s, _ in columns})]
    for (schema, name), definitions in sorted(columns.items()):
        lines = [f"{quote_ident(c)} {t}" for c, t in definitions.items()]
        lines += [f"UNIQUE ({_columns(k)})" for k in keys[(schema, name)]]
        statements.append(f"CREATE TABLE IF NOT EXISTS {qualify(schema, name)} ({', '.join(lines)})")
    return statements


def prerequisites_sql(prerequisites: Sequence[model.Prerequisite]) -> list[str]:
    """schema/prerequisites.sql's statements for a build from empty: function bodies are checked when they run
    (a function may name a table that is created after it)."""
    if not prerequisites:
        return []
    return ["SET check_function_bodies = off", *(p.sql for p in prerequisites), "RESET check_function_bodies"]


def schema_sql(db: model.Database, *, prerequisites: bool = True) -> str:
    """DDL that builds ``db`` in an empty database: runs as-is with ``psql -v ON_ERROR_STOP=1``.

    ``prerequisites``: with the statements of schema/prerequisites.sql (after the enums, before the tables).
    """
    sections = schema_sections(db, prerequisites=prerequisites)
    return "".join("".join(f"{s};\n" for s in section) + "\n" for section in sections if section)


PREREQUISITES_SECTION = 3  # schema_sections: the schema, its extensions and enum types come before


def schema_sections(db: model.Database, *, prerequisites: bool = True) -> list[list[str]]:
    """The statements of ``schema_sql`` in its fixed sections (schema, extensions, enums, prerequisites, tables,
    indexes, replica identities, foreign keys, comments, sync triggers): several owned schemas are built
    section by section, each under its own search_path, so that a foreign key finds every table."""
    scope = Scope.of(db)
    tables = model.sort_by_name(db.tables)
    sections = [
        [create_schema(db.schema)] if db.schema != "public" else [],
        extension_statements(db),
        [create_enum(e, scope) for e in model.sort_by_name(db.enums)],
        prerequisites_sql(db.prerequisites) if prerequisites else [],
        [create_table(t, scope) for t in tables],
        # Indexes before foreign keys: a foreign key may reference a unique index that is no constraint.
        [create_index(t.name, i, scope, concurrently=False) for t in tables for i in model.sort_by_name(t.indexes)],
        [set_replica_identity(t.name, t.replica_identity, t.replica_identity_index, scope)
         for t in tables if t.replica_identity != "default"],
        # Foreign keys after every table, so that cycles never block.
        [add_constraint(t.name, c, scope, not_valid=not c.valid) for t in tables for c in _late_constraints(t)],
        list(_comments(db, scope)),
        list(_sync_triggers(db, scope)),
    ]
    return sections


def _sync_triggers(db: model.Database, scope: Scope) -> Iterable[str]:
    """The sync triggers of promoted columns (plan/promotion_sql.py): a fresh table has nothing to backfill."""
    from pgevolve.sqltext.promotion_sql import sync_statements

    for trigger in db.sync_triggers:
        table = db.table(trigger.table)
        column = table.column(trigger.column) if table else None
        if column is not None:
            yield from sync_statements(scope.schema, trigger, scope.type(column.type))


def _late_constraints(table: model.Table) -> list[model.CheckConstraint | model.ForeignKey]:
    """What create_table leaves out: NOT VALID checks (only ALTER TABLE can add them) and foreign keys."""
    return [c for c in model.sort_by_name(table.checks) if not c.valid] + list(model.sort_by_name(table.foreign_keys))


def _comments(db: model.Database, scope: Scope) -> Iterable[str]:
    for enum in sorted(db.enums, key=lambda e: e.name):
        if enum.comment is not None:
            yield comment_on("type", None, enum.name, enum.comment, scope)
    for table in sorted(db.tables, key=lambda t: t.name):
        yield from table_comments(table, scope)


def table_comments(table: model.Table, scope: Scope) -> Iterable[str]:
    """COMMENT statements for a table, its columns and its indexes (those that have one)."""
    if table.comment is not None:
        yield comment_on("table", table.name, table.name, table.comment, scope)
    for column in table.columns:
        if column.comment is not None:
            yield comment_on("column", table.name, column.name, column.comment, scope)
    for index in model.sort_by_name(table.indexes):
        if index.comment is not None:
            yield comment_on("index", table.name, index.name, index.comment, scope)
