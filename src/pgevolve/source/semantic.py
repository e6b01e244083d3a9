"""Checks the JSON Schema cannot express: names, references, types, expressions, hints.

Each check returns Problems pinned to file:line:column; all of them run, so one
``pgevolve validate`` lists every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgevolve.errors import Problem, did_you_mean
from pgevolve.source.context import Context, name_problem, present
from pgevolve.source.marked_yaml import Document, NodePath
from pgevolve.source.project import CheckSpec, ForeignKeySpec, IndexSpec, KeySpec, Project, TableSpec
from pgevolve.source.semantic_columns import check_column, resolve_column_types
from pgevolve.source.semantic_shapes import check_shape
from pgevolve.source.semantic_tables import check_table
from pgevolve.sqltext import ident
from pgevolve.sqltext.ident import PGEVOLVE_SCHEMA
from pgevolve.sqltext.type_names import ResolvedType, TypeNameError, resolve_type

# Extensions shipped with PostgreSQL (contrib) and the most common third-party ones: an
# unknown name close to one of these is most likely a typo (uuid_ossp for uuid-ossp).
KNOWN_EXTENSIONS = (
    "adminpack", "amcheck", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube", "dblink", "dict_int",
    "dict_xsyn", "earthdistance", "file_fdw", "fuzzystrmatch", "hstore", "insert_username", "intagg", "intarray",
    "isn", "lo", "ltree", "moddatetime", "pageinspect", "pg_buffercache", "pg_freespacemap", "pg_prewarm",
    "pg_stat_statements", "pg_surgery", "pg_trgm", "pg_visibility", "pg_walinspect", "pgcrypto", "pgrowlocks",
    "pgstattuple", "plpgsql", "postgres_fdw", "refint", "seg", "sslinfo", "tablefunc", "tcn", "tsm_system_rows",
    "tsm_system_time", "unaccent", "uuid-ossp", "xml2", "postgis", "postgis_raster", "postgis_topology",
    "postgis_tiger_geocoder", "address_standardizer", "vector", "timescaledb", "pg_cron", "pg_partman", "pgaudit",
    "pg_repack", "hypopg", "pg_hint_plan", "citus", "rum", "pgroonga", "pg_uuidv7", "pg_jsonschema", "pgrouting",
    "h3",
)


def check_project(project: Project, *, broken_tables: frozenset[str], broken_shapes: frozenset[str]) -> list[Problem]:
    """Every semantic problem of a project whose files passed the JSON Schema."""
    tables, problems = _first_of_each(project.tables)
    types: dict[tuple[str, str], ResolvedType] = {}
    for table in tables.values():
        resolved, type_problems = resolve_column_types(table, project.enums, project.declared)
        types.update({(table.name, column): t for column, t in resolved.items()})
        problems += type_problems
    ctx = Context(project=project, tables=tables, types=types, broken_tables=broken_tables,
                  broken_shapes=broken_shapes)
    problems += _project_file(ctx)
    for doc in project.shape_docs.values():
        problems += check_shape(doc)
    for table in tables.values():
        problems += check_table(ctx, table)
        for column in table.columns:
            problems += check_column(ctx, table, column)
    return problems + _table_renames(ctx) + _relation_names(ctx) + _constraint_names(ctx)


def _first_of_each(tables: tuple[TableSpec, ...]) -> tuple[dict[str, TableSpec], list[Problem]]:
    """Tables by name; a second definition of a name is an error pointing at the first."""
    first: dict[str, TableSpec] = {}
    problems = []
    for table in tables:
        if table.name in first:
            earlier = first[table.name].doc
            line = earlier.value_mark(("table",)).line
            problems.append(table.doc.problem(("table",), f"table '{table.name}' is already defined in "
                                              f"{earlier.file}:{line}"))
        else:
            first[table.name] = table
    return first, problems


def _project_file(ctx: Context) -> list[Problem]:
    doc = ctx.project.project_doc
    if doc is None:
        return []
    problems = present([name_problem(doc, ("schema",), ctx.project.schema)])
    if ctx.project.schema.startswith("pg_"):
        problems.append(doc.problem(("schema",), "schema names starting with 'pg_' are reserved for PostgreSQL",
                                    value=ctx.project.schema))
    if ctx.project.schema == PGEVOLVE_SCHEMA:
        # pgevolve keeps its history and backfill progress there: owning it would plan their drop.
        problems.append(doc.problem(("schema",), f"schema {PGEVOLVE_SCHEMA!r} is pgevolve's own (apply history, "
                                    "backfill progress) and cannot be the schema a project owns",
                                    value=ctx.project.schema, hint="name the schema your tables live in, e.g. "
                                    "'public' or 'app'"))
    for i, name in enumerate(ctx.project.extensions):
        problems += _extension(doc, ("extensions", i), name)
    for enum in ctx.project.enums.values():
        problems += _enum(ctx, doc, enum.path, enum.name, enum.values)
    return problems


def _extension(doc: Document, path: NodePath, name: str) -> list[Problem]:
    if name in KNOWN_EXTENSIONS:
        return []
    problems = present([name_problem(doc, path, name)])
    hint = did_you_mean(name, KNOWN_EXTENSIONS)
    if hint:
        problems.append(doc.problem(path, f"extension '{name}' is not one pgevolve knows", hint=hint,
                                    severity="warning"))
    return problems


def _enum(ctx: Context, doc: Document, path: NodePath, name: str, values: tuple[str, ...]) -> list[Problem]:
    problems = present([name_problem(doc, path, name, at="key")])
    values_path = (*path, "values") if doc.has((*path, "values")) else path
    # PostgreSQL: "Labels must be 63 bytes or less" (NAMEDATALEN - 1, like identifiers).
    problems += [
        doc.problem((*values_path, i), f"enum '{name}': the value is {len(v.encode())} bytes long; PostgreSQL "
                    f"allows {ident.MAX_IDENTIFIER_BYTES}", value=v)
        for i, v in enumerate(values)
        if ident.too_long(v)
    ]
    if _is_builtin_type(name):
        problems.append(doc.problem(path, f"enum '{name}' has the name of a built-in type", at="key"))
    if name in ctx.tables:
        # Every table has a row type of its own name: CREATE TYPE would fail.
        problems.append(doc.problem(path, f"enum '{name}' has the name of table '{name}', whose row type "
                                    "PostgreSQL already calls that", at="key"))
    return problems


def _is_builtin_type(name: str) -> bool:
    if name in ("custom_fields", "tags"):
        return True
    try:
        return resolve_type(name).kind in ("builtin", "serial")
    except TypeNameError:
        return False


def _table_renames(ctx: Context) -> list[Problem]:
    problems = []
    claimed: dict[str, str] = {}
    for table in ctx.tables.values():
        old = table.renamed_from
        if old is None:
            continue
        path = ("renamed_from",)
        if old in ctx.tables:
            problems.append(table.doc.problem(path, f"table '{table.name}' is renamed from '{old}', but table "
                                              f"'{old}' is still defined", hint="remove renamed_from once the "
                                              "rename is applied, or remove the old table's file"))
        elif old in claimed:
            problems.append(table.doc.problem(path, f"tables '{claimed[old]}' and '{table.name}' are both renamed "
                                              f"from '{old}'"))
        claimed.setdefault(old, table.name)
    return problems


def _relations(table: TableSpec) -> Iterator[tuple[str, str, NodePath]]:
    """(name, kind, path) of every user-written name that lives in the schema's relation namespace."""
    yield table.name, f"table '{table.name}'", ("table",)
    keyed: list[tuple[str, KeySpec | IndexSpec | None]] = [("primary key", table.primary_key)]
    keyed += [("unique constraint", u) for u in table.uniques]
    keyed += [("index", i) for i in table.indexes]
    for kind, part in keyed:
        if part is not None and part.name is not None:
            yield part.name, f"the {kind} of table '{table.name}'", (*part.path, "name")


def _relation_names(ctx: Context) -> list[Problem]:
    # Tables, indexes and the indexes behind primary keys and UNIQUE constraints share one
    # namespace per schema: two indexes of different tables cannot have the same name.
    seen: dict[str, tuple[str, Document, NodePath]] = {}
    problems = []
    for table in ctx.tables.values():
        for name, kind, path in _relations(table):
            if name in seen:
                other_kind, other_doc, other_path = seen[name]
                where = f"{other_doc.file}:{other_doc.value_mark(other_path).line}"
                problems.append(table.doc.problem(path, f"name '{name}' is already used by {other_kind} ({where}); "
                                                  "PostgreSQL needs table and index names unique in a schema"))
            else:
                seen[name] = (kind, table.doc, path)
    return problems


def _constraint_names(ctx: Context) -> list[Problem]:
    # Primary key and UNIQUE names are already checked schema-wide as relations; here the
    # CHECK and FOREIGN KEY names must differ from every other constraint of their table.
    problems = []
    for table in ctx.tables.values():
        seen = {part.name for part in (table.primary_key, *table.uniques) if part is not None and part.name}
        parts: tuple[CheckSpec | ForeignKeySpec, ...] = (*table.checks, *table.foreign_keys)
        for part in parts:
            if part.name is None:
                continue
            if part.name in seen:
                problems.append(table.doc.problem((*part.path, "name"), f"table '{table.name}' has two constraints "
                                                  f"named '{part.name}'"))
            seen.add(part.name)
    return problems
