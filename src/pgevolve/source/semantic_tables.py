"""Semantic checks of one table: its keys, checks, foreign keys (references) and indexes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pgevolve.errors import Problem, UnsafeSql, did_you_mean
from pgevolve.source.context import Context, expression_problems, missing_column, name_problem, present
from pgevolve.source.marked_yaml import NodePath
from pgevolve.source.naming import names_table_file, safe_file_stem
from pgevolve.source.project import IndexKeySpec, IndexSpec, KeySpec, TableSpec
from pgevolve.source.validate import describe
from pgevolve.sqltext import ident
from pgevolve.sqltext.expressions import index_key_name
from pgevolve.sqltext.fragments import opclass_sql
from pgevolve.sqltext.type_names import SERIAL_BASE, fk_compatible, fk_narrower

# PostgreSQL's MaxHeapAttributeNumber: no table can have more columns.
MAX_COLUMNS = 1600


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reference:
    """A foreign key in either spelling, with where each part is written."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: str | None  # None: the owned schema
    actions: dict[str, str]  # "on_delete" / "on_update" -> action
    path: NodePath  # the FK (table-level) or the column's `references`
    table_path: NodePath
    column_paths: tuple[NodePath, ...]  # where each referenced column is written


def check_table(ctx: Context, table: TableSpec) -> list[Problem]:
    """Every problem of one table's table-level parts that the JSON Schema cannot see."""
    problems = _names(table) + _primary_key(table) + _file_name(table) + _column_count(table)
    problems += _columns_exist(table, [(u.path, u.columns) for u in table.uniques])
    for key in (table.primary_key, *table.uniques):
        if key is not None:
            problems += _key_options(table, key)
    for check in table.checks:
        problems += expression_problems(table.doc, (*check.path, "expression"), check.expression, table)
    for reference in _references(table):
        problems += _reference(ctx, table, reference)
    for index in table.indexes:
        problems += _index(table, index)
    for fk in table.foreign_keys:
        problems += _timing(table, fk.path, fk.deferrable, fk.initially_deferred)
    return problems + _replica_identity(table)


def is_not_null(ctx: Context, table: TableSpec, column: str) -> bool:
    """Whether PostgreSQL will hold the column NOT NULL."""
    spec = table.column(column)
    resolved = ctx.column_type(table.name, column)
    if spec is None:
        return False
    implicit = resolved is not None and resolved.kind in ("serial", "custom_fields", "tags")
    return spec.nullable is False or column in table.primary_key_columns or implicit or spec.identity is not None


def _names(table: TableSpec) -> list[Problem]:
    doc = table.doc
    named: list[tuple[NodePath, str | None]] = [(("table",), table.name), (("renamed_from",), table.renamed_from)]
    for part in (table.primary_key, *table.uniques, *table.checks, *table.foreign_keys, *table.indexes):
        if part is not None:
            named.append(((*part.path, "name"), part.name))
    return present([name_problem(doc, path, name) for path, name in named if name])


def _column_count(table: TableSpec) -> list[Problem]:
    if len(table.columns) <= MAX_COLUMNS:
        return []
    return [table.doc.problem(("columns",), f"table '{table.name}' has {len(table.columns):,} columns; PostgreSQL "
                              f"allows at most {MAX_COLUMNS:,}", at="key")]


def _file_name(table: TableSpec) -> list[Problem]:
    stem = Path(table.doc.file).stem
    if names_table_file(stem, table.name):
        return []
    message = f"the file is named '{stem}' but defines table '{table.name}'"
    hint = f"rename the file to {safe_file_stem(table.name)}.yaml"
    return [table.doc.problem(("table",), message, hint=hint, severity="warning")]


def _primary_key(table: TableSpec) -> list[Problem]:
    doc = table.doc
    marked = [c for c in table.columns if c.primary_key]
    if table.primary_key is not None:
        problems = _columns_exist(table, [(table.primary_key.path, table.primary_key.columns)])
        if marked:
            problems.append(doc.problem(("primary_key",), f"table '{table.name}' has a table-level primary_key and "
                                        f"column '{marked[0].name}' says primary_key: true; keep one", at="key"))
        return problems
    if len(marked) > 1:
        names = ", ".join(c.name for c in marked)
        return [doc.problem((*marked[1].path, "primary_key"), f"several columns say primary_key: true ({names})",
                            hint=f"a composite key is written at table level: primary_key: [{names}]", at="key")]
    if not marked:
        return [doc.problem(("table",), f"table '{table.name}' has no primary key", severity="warning",
                            hint="add primary_key: true to a column; updates, replication and many tools need one")]
    return []


def _key_options(table: TableSpec, key: KeySpec) -> list[Problem]:
    """INCLUDE columns exist; INITIALLY DEFERRED only with DEFERRABLE."""
    problems = present([missing_column(table.doc, (*key.path, "include", i), table, c)
                        for i, c in enumerate(key.include)])
    return problems + _timing(table, key.path, key.deferrable, key.initially_deferred)


def _timing(table: TableSpec, path: NodePath, deferrable: bool, initially_deferred: bool) -> list[Problem]:
    if initially_deferred and not deferrable:
        # PostgreSQL: "constraint declared INITIALLY DEFERRED must be DEFERRABLE".
        return [table.doc.problem((*path, "initially_deferred"), f"{describe(path)}: initially_deferred needs "
                                  "deferrable: true", hint="add deferrable: true", at="key")]
    return []


def _replica_identity(table: TableSpec) -> list[Problem]:
    """``replica_identity: { index: x }`` names a unique index or key of this table."""
    name = table.replica_identity_index
    if name is None:
        return []
    candidates = _unique_index_names(table)
    if name in candidates:
        return []
    path = ("replica_identity", "index")
    return [table.doc.problem(path, f"replica_identity names index '{name}', which is not a unique index, primary "
                              f"key or UNIQUE constraint of table '{table.name}'",
                              hint=did_you_mean(name, candidates))]


def _unique_index_names(table: TableSpec) -> list[str]:
    """The names (written, or PostgreSQL's default before numbering) of the table's unique indexes and keys."""
    found = []
    if table.primary_key_columns:
        key = table.primary_key
        found.append((key.name if key else None) or ident.primary_key_name(table.name))
    found += [ident.unique_name(table.name, [c.name]) for c in table.columns if c.unique]
    found += [u.name or ident.unique_name(table.name, u.columns) for u in table.uniques]
    for index in table.indexes:
        if index.unique:
            keys = [k.column or index_key_name(k.expression or "") for k in _index_keys(index)]
            found.append(index.name or ident.index_name(table.name, [*keys, *index.include]))
    return found


def _index_keys(index: IndexSpec) -> tuple[IndexKeySpec, ...]:
    if index.keys is not None:
        return index.keys
    if index.columns is not None:
        return tuple(IndexKeySpec(column=c, path=(*index.path, "columns", i)) for i, c in enumerate(index.columns))
    return (IndexKeySpec(expression=index.expression, path=(*index.path, "expression")),)


def _columns_exist(table: TableSpec, lists: list[tuple[NodePath, tuple[str, ...]]]) -> list[Problem]:
    """Errors for the names in each (path, columns) that are not columns of the table."""
    problems: list[Problem | None] = []
    for path, columns in lists:
        # `[a, b]` or `{ columns: [a, b], name: ... }`: the names sit at different paths.
        base = (*path, "columns") if table.doc.has((*path, "columns")) else path
        problems += [missing_column(table.doc, (*base, i), table, c) for i, c in enumerate(columns)]
    return present(problems)


def _references(table: TableSpec) -> list[_Reference]:
    """Column-level `references` and table-level foreign keys, alike."""
    found = []
    for column in table.columns:
        if column.reference is None:
            continue
        ref_table, ref_column = column.reference
        path = (*column.path, "references")
        actions = {"on_delete": column.on_delete, "on_update": column.on_update}
        found.append(_Reference(columns=(column.name,), ref_table=ref_table, ref_columns=(ref_column,),
                                ref_schema=column.reference_schema, actions=actions,
                                path=path, table_path=path, column_paths=(path,)))
    for fk in table.foreign_keys:
        ref_path = (*fk.path, "references")
        actions = {"on_delete": fk.on_delete, "on_update": fk.on_update}
        column_paths = tuple((*ref_path, "columns", i) for i in range(len(fk.ref_columns)))
        found.append(_Reference(columns=fk.columns, ref_table=fk.ref_table, ref_columns=fk.ref_columns,
                                ref_schema=fk.ref_schema, actions=actions,
                                path=fk.path, table_path=(*ref_path, "table"),
                                column_paths=column_paths))
    return found


def _reference(ctx: Context, table: TableSpec, ref: _Reference) -> list[Problem]:
    doc = table.doc
    local = [] if ref.path[-1] == "references" else _columns_exist(table, [(ref.path, ref.columns)])
    if ref.ref_schema not in (None, ctx.project.schema):
        return local + _external(ctx, table, ref)
    target = ctx.tables.get(ref.ref_table)
    if target is None:
        if ref.ref_table in ctx.broken_tables:
            return local
        hint = did_you_mean(ref.ref_table, ctx.tables) or _renamed_hint(ctx, ref.ref_table)
        return [*local, doc.problem(ref.table_path, f"{describe(ref.table_path)} names table '{ref.ref_table}', "
                                    "which is not defined under tables/", value=None, hint=hint)]
    missing = present([
        missing_column(doc, path, target, column, what=f"{describe(path)} ({ref.ref_table}.{column})")
        for path, column in zip(ref.column_paths, ref.ref_columns, strict=True)
    ])
    if missing or local:
        return local + missing
    if len(ref.columns) != len(ref.ref_columns):
        return [doc.problem(ref.path, f"{describe(ref.path)} has {len(ref.columns)} columns but references "
                            f"{len(ref.ref_columns)}")]
    return _types_match(ctx, table, target, ref) + _unique_target(table, target, ref) + _set_null(ctx, table, ref)


def _external(ctx: Context, table: TableSpec, ref: _Reference) -> list[Problem]:
    """A table of another schema: that schema is named external (its tables are not the project's to check:
    PostgreSQL says when one is missing)."""
    if ref.ref_schema in ctx.project.external_schemas:
        return []
    where = ref.path if ref.path[-1] == "references" else (*ref.path, "references", "schema")
    return [table.doc.problem(where, f"{describe(where)} names schema '{ref.ref_schema}', which pgevolve.yaml does "
                              "not list in external_schemas", value=ref.ref_schema,
                              hint=f"add it: external_schemas: [{ref.ref_schema}]")]


def _renamed_hint(ctx: Context, name: str) -> str | None:
    renamed = next((t.name for t in ctx.tables.values() if t.renamed_from == name), None)
    return f"table '{name}' is renamed to '{renamed}'" if renamed else None


def _types_match(ctx: Context, table: TableSpec, target: TableSpec, ref: _Reference) -> list[Problem]:
    problems = []
    for column, ref_column, path in zip(ref.columns, ref.ref_columns, ref.column_paths, strict=True):
        mine, theirs = ctx.column_type(table.name, column), ctx.column_type(target.name, ref_column)
        if mine is None or theirs is None or "declared" in (mine.kind, theirs.kind):
            continue  # a domain's base type is the prerequisites' business: PostgreSQL says if it does not fit
        if fk_compatible(mine, theirs):
            if fk_narrower(mine, theirs):
                # PostgreSQL accepts it (one operator family); a key past the narrower range cannot be referenced.
                problems.append(table.doc.problem(
                    path, f"column '{column}' is {mine.canonical} but {target.name}.{ref_column} is "
                    f"{theirs.canonical}: rows whose key is past {mine.canonical}'s range cannot be referenced",
                    hint=f"write type: {SERIAL_BASE.get(theirs.canonical, theirs.canonical)} on column '{column}'",
                    severity="warning"))
            continue
        wanted = SERIAL_BASE.get(theirs.canonical, theirs.canonical)
        problems.append(table.doc.problem(
            path,
            f"column '{column}' is {mine.canonical} but {target.name}.{ref_column} is {theirs.canonical}: "
            "a foreign key needs the same type on both sides",
            hint=f"write type: {wanted} on column '{column}'",
        ))
    return problems


def _unique_target(table: TableSpec, target: TableSpec, ref: _Reference) -> list[Problem]:
    # PostgreSQL accepts a foreign key only to columns with a primary key, a UNIQUE
    # constraint or a plain (non-partial, non-expression) unique index on exactly them.
    wanted = set(ref.ref_columns)
    pk = target.primary_key
    keys = [set(target.primary_key_columns)] if not (pk and pk.deferrable) else []
    keys += [set(u.columns) for u in target.uniques if not u.deferrable]
    keys += [{c.name} for c in target.columns if c.unique]
    keys += [{k.column or "" for k in _index_keys(i)} for i in target.indexes
             if i.unique and i.where is None and all(k.column for k in _index_keys(i))]
    if wanted in keys:
        return []
    deferrable = [set(u.columns) for u in target.uniques if u.deferrable] + ([set(pk.columns)] if pk else [])
    if wanted in deferrable:
        message = f"{target.name}({', '.join(ref.ref_columns)}) is DEFERRABLE, and PostgreSQL cannot reference it"
        return [table.doc.problem(ref.column_paths[0], f"{describe(ref.column_paths[0])}: {message}",
                                  hint="make that key not deferrable, or reference another key")]
    columns = ", ".join(ref.ref_columns)
    hint = (f"add unique: true to column '{columns}' of table '{target.name}'" if len(wanted) == 1
            else f"add unique: [[{columns}]] to table '{target.name}'")
    message = f"{target.name}({columns}) is neither a primary key nor unique, so PostgreSQL cannot reference it"
    return [table.doc.problem(ref.column_paths[0], f"{describe(ref.column_paths[0])}: {message}", hint=hint)]


def _set_null(ctx: Context, table: TableSpec, ref: _Reference) -> list[Problem]:
    problems = []
    for key, action in ref.actions.items():
        if action != "set null":
            continue
        not_null = [c for c in ref.columns if is_not_null(ctx, table, c)]
        if not_null:
            path = (*ref.path[:-1], key) if ref.path[-1] == "references" else (*ref.path, key)
            # PostgreSQL accepts the definition (and real schemas have it); the action fails only when
            # a referenced row is deleted or updated: a warning, so that an imported schema validates.
            problems.append(table.doc.problem(
                path,
                f"{key}: set null on column '{not_null[0]}', which is NOT NULL: deleting or updating a "
                "referenced row will fail",
                hint=f"make column '{not_null[0]}' nullable, or use cascade or restrict",
                severity="warning",
            ))
    return problems


def _index(table: TableSpec, index: IndexSpec) -> list[Problem]:
    doc, path = table.doc, index.path
    forms = [index.columns, index.expression, index.keys]
    if sum(form is not None for form in forms) != 1:
        return [doc.problem(path, f"{describe(path)} needs exactly one of 'columns', 'expression' and 'keys'",
                            hint="keys: [org, {expression: \"lower(po)\"}, {column: at, desc: true}] mixes them")]
    problems = _columns_exist(table, [(path, index.columns or ())])
    for key in index.keys or ():
        problems += _index_key(table, index, key)
    problems += present([missing_column(doc, (*path, "include", i), table, c) for i, c in enumerate(index.include)])
    problems += expression_problems(doc, (*path, "expression"), index.expression, table)
    problems += expression_problems(doc, (*path, "where"), index.where, table)
    return problems + _method_rules(table, index) + _opclass(table, index)


def _opclass(table: TableSpec, index: IndexSpec) -> list[Problem]:
    """An operator class is a name, or schema.name: each part a name PostgreSQL keeps whole."""
    written = [((*index.path, "opclass"), index.opclass)]
    written += [((*key.path, "opclass"), key.opclass) for key in index.keys or ()]
    problems = []
    for path, opclass in written:
        if opclass is None:
            continue
        try:
            opclass_sql(opclass)
        except UnsafeSql:
            problems.append(table.doc.problem(path, f"{describe(path)} must be an operator class name, or "
                                              "schema.name", value=opclass,
                                              hint="e.g. jsonb_path_ops, extensions.gin_trgm_ops"))
            continue
        problems += present([name_problem(table.doc, path, part) for part in opclass.split(".", 1)])
    return problems


def _index_key(table: TableSpec, index: IndexSpec, key: IndexKeySpec) -> list[Problem]:
    doc, path = table.doc, key.path
    if (key.column is None) == (key.expression is None):
        return [doc.problem(path, f"{describe(path)} needs exactly one of 'column' and 'expression'")]
    if key.column is not None:
        column_path = (*path, "column") if doc.has((*path, "column")) else path
        problems = present([missing_column(doc, column_path, table, key.column)])
    else:
        problems = expression_problems(doc, (*path, "expression"), key.expression, table)
    if (key.desc or key.nulls) and index.using != "btree":
        # Only btree (amcanorder) accepts ASC/DESC and NULLS FIRST/LAST.
        option = "desc" if key.desc else "nulls"
        problems.append(doc.problem((*path, option), f"{describe(path)}: {option} needs a btree index, not "
                                    f"{index.using}", at="key"))
    return problems


def _method_rules(table: TableSpec, index: IndexSpec) -> list[Problem]:
    doc, path, using = table.doc, index.path, index.using
    problems = []
    if index.unique and using != "btree":
        problems.append(doc.problem((*path, "unique"), f"{describe(path)}: only btree indexes can be unique in "
                                    f"PostgreSQL, not {using}", at="key"))
    if index.nulls_not_distinct and not index.unique:
        problems.append(doc.problem((*path, "nulls_not_distinct"), f"{describe(path)}: nulls_not_distinct needs "
                                    "unique: true", at="key"))
    if using == "hash" and len(index.columns or index.keys or ()) > 1:
        key_path = (*path, "columns") if index.columns else (*path, "keys")
        problems.append(doc.problem(key_path, f"{describe(path)}: a hash index has a single key"))
    if index.include and using not in ("btree", "gist", "spgist"):
        problems.append(doc.problem((*path, "include"), f"{describe(path)}: {using} indexes cannot INCLUDE columns",
                                    at="key"))
    return problems
