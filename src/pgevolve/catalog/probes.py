"""Normalize through the server only what needs it, each distinct thing once.

Building the whole desired schema in a scratch database (``normalize.materialize``)
spends most of its time on what PostgreSQL does not rewrite: a table's relation,
TOAST table and row type, primary keys, foreign keys and their triggers. What the
server does rewrite is a short list, and each item's canonical text depends only on
a small context:

- a column's type, collation and default: on those three alone (a default cannot
  name a column);
- a CHECK, an index (keys, opclasses, method, predicate, INCLUDE) and a generated
  column's expression: on the name, type and collation of the columns it names,
  never on the table's name or its other columns (``pg_get_expr`` and
  ``pg_get_indexdef`` of one relation print no table prefix).

So each distinct (type, collation, default) becomes one column of a few wide probe
tables, and each distinct context (the named columns) one small probe table carrying
every CHECK, index and generated column that names exactly those columns; a schema
of 1000 alike tables builds a handful of probes. They are read back with the same
catalog queries (``introspect.read_model``) and mapped onto the desired model; what
the server keeps as written (names, keys, foreign keys, comments, flags) is taken
from the desired model, with PostgreSQL's implied NOT NULL (primary key, identity,
serial) applied as the server applies it.

``plan_probes`` returns None for what the probes cannot reproduce faithfully (an
expression that names something other than a plain column of its table, a default
drawing from a serial sequence of the desired schema): ``normalize`` then builds the
whole schema, as it does when a probe fails to build, so that the error a broken
YAML gets is the full build's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from pgevolve import model
from pgevolve.sqltext import ddl
from pgevolve.sqltext.expression_facts import nextval_sequence
from pgevolve.sqltext.expressions import plain_column_refs
from pgevolve.sqltext.ident import sequence_name, sync_name
from pgevolve.sqltext.type_names import SERIAL_TYPES

_PREFIX = "pgevolve_probe_"
_COLUMNS_PER_TABLE = 400  # PostgreSQL allows 1600; a few wide tables keep each statement small
_TypeKey = tuple[str, str | None, str | None]  # type, collation, default
_Named = TypeVar("_Named", model.CheckConstraint, model.Index)
_Context = tuple[tuple[str, str, str | None], ...]  # (column, type, collation), sorted


@dataclass(frozen=True, slots=True)
class _Where:
    """A probe object: the probe table it lives on and its own name there."""

    table: str
    name: str


@dataclass(slots=True)
class _ContextProbe:
    table: str
    columns: _Context
    checks: dict[str, str] = field(default_factory=dict)  # expression -> constraint name
    indexes: dict[model.Index, model.Index] = field(default_factory=dict)  # shape -> probe index
    generated: dict[tuple[str, str | None, str], str] = field(default_factory=dict)  # -> column name


@dataclass(slots=True)
class ProbePlan:
    """What to build, and where each desired object's canonical text will be found."""

    schema: str
    types: dict[_TypeKey, _Where] = field(default_factory=dict)
    contexts: dict[_Context, _ContextProbe] = field(default_factory=dict)

    def statements(self, scope: ddl.Scope) -> list[str]:
        """CREATE TABLE and CREATE INDEX statements of every probe."""
        tables: dict[str, list[str]] = {}
        for (type_, collation, default), where in self.types.items():
            column = model.Column(name=where.name, type=type_, collation=collation, default=default)
            tables.setdefault(where.table, []).append(ddl.column_definition(where.table, column, scope))
        out = [_create(scope, name, lines) for name, lines in tables.items()]
        for probe in self.contexts.values():
            lines = [ddl.column_definition(probe.table, model.Column(name=n, type=t, collation=c), scope)
                     for n, t, c in probe.columns]
            lines += [ddl.column_definition(probe.table, model.Column(name=name, type=t, collation=c, generated=g),
                                            scope) for (t, c, g), name in probe.generated.items()]
            lines += [ddl.constraint_clause(model.CheckConstraint(name=name, expression=expression), scope)
                      for expression, name in probe.checks.items()]
            out.append(_create(scope, probe.table, lines))
            out += [ddl.create_index(probe.table, index, scope, concurrently=False)
                    for index in probe.indexes.values()]
        return out

    def _type_slot(self, key: _TypeKey) -> None:
        if key not in self.types:
            number = len(self.types)
            self.types[key] = _Where(f"{_PREFIX}types_{number // _COLUMNS_PER_TABLE}", f"c{number}")

    def _context(self, context: _Context) -> _ContextProbe:
        probe = self.contexts.get(context)
        if probe is None:
            probe = self.contexts[context] = _ContextProbe(f"{_PREFIX}{len(self.contexts)}", context)
        return probe


def _create(scope: ddl.Scope, table: str, lines: list[str]) -> str:
    return f"CREATE TABLE {scope.name(table)} (\n    " + ",\n    ".join(lines) + "\n)"


def plan_probes(desired: model.Database) -> ProbePlan | None:
    """The probes that normalize ``desired``; None when only a whole build is faithful."""
    if not _probes_fit(desired):
        return None
    plan = ProbePlan(schema=desired.schema)
    serial_sequences = {sequence_name(t.name, c.name) for t in desired.tables for c in t.columns if _serial(t, c)}
    for table in desired.tables:
        columns = {c.name: c for c in table.columns}
        for column in table.columns:
            if _serial(table, column):
                continue
            if column.generated is not None:
                if not _add_generated(plan, columns, column):
                    return None
                continue
            if _draws_from(column.default, serial_sequences):
                return None  # draws from a sequence only the whole build creates
            plan._type_slot((column.type, column.collation, column.default))
        for check in table.checks:
            refs = _context_of(columns, plain_column_refs(check.expression))
            if refs is None:
                return None
            probe = plan._context(refs)
            probe.checks.setdefault(check.expression, f"k{len(probe.checks)}")
        for index in table.indexes:
            if not _add_index(plan, columns, index):
                return None
    return plan


def _probes_fit(desired: model.Database) -> bool:
    """Whether the probes can stand for ``desired`` at all: not with schema/prerequisites.sql (its functions,
    domains and declared types are built only by the whole build, in its order), nor with a foreign key to
    another schema (the whole build's stand-in tables and several owned schemas' sections): those projects
    take the whole build (docs/decisions.md)."""
    if desired.prerequisites:
        return False
    return not any(fk.ref_schema not in (None, desired.schema) for t in desired.tables for fk in t.foreign_keys)


def _draws_from(default: str | None, sequences: set[str]) -> bool:
    """Whether a default calls nextval() of one of these sequences (of any schema, spelled any way)."""
    if not sequences or default is None or "nextval" not in default.lower():
        return False
    named = nextval_sequence(default)
    return named is None or named.rsplit(".", 1)[-1].strip('"') in sequences


def _serial(table: model.Table, column: model.Column) -> bool:
    return ddl.serial_type(table.name, column) is not None


def _context_of(columns: dict[str, model.Column], names: Iterable[str] | None) -> _Context | None:
    """The named columns as a probe context; None when a name is not a plain column of the table."""
    if names is None:
        return None
    context = []
    for name in sorted(set(names)):
        column = columns.get(name)
        if column is None:
            return None
        type_ = SERIAL_TYPES.get(column.type.lower(), column.type)  # the probe needs no sequence
        context.append((name, type_, column.collation))
    return tuple(context)


def _add_generated(plan: ProbePlan, columns: dict[str, model.Column], column: model.Column) -> bool:
    assert column.generated is not None
    refs = _context_of(columns, plain_column_refs(column.generated))
    if refs is None or any(name == column.name for name, _, _ in refs):
        return False
    probe = plan._context(refs)
    key = (column.type, column.collation, column.generated)
    probe.generated.setdefault(key, f"g{len(probe.generated)}")
    return True


def _index_refs(index: model.Index) -> list[str] | None:
    names = [k.column for k in index.keys if k.column is not None] + list(index.include)
    for text in [k.expression for k in index.keys if k.expression is not None] + [index.where or "TRUE"]:
        found = plain_column_refs(text)
        if found is None:
            return None
        names += found
    return names


def _shape(index: model.Index) -> model.Index:
    """The index as the server sees it: everything but its name, comment and validity."""
    return replace(index, name="", comment=None, valid=True)


def _add_index(plan: ProbePlan, columns: dict[str, model.Column], index: model.Index) -> bool:
    refs = _context_of(columns, _index_refs(index))
    if refs is None:
        return False
    probe = plan._context(refs)
    shape = _shape(index)
    if shape not in probe.indexes:
        name = f"{probe.table}_i{len(probe.indexes)}"
        probe.indexes[shape] = replace(index, name=name, comment=None, valid=True)
    return True


def apply_probes(plan: ProbePlan, desired: model.Database, probed: model.Database) -> model.Database:
    """``desired`` with every server-rewritten text taken from the probes read back as ``probed``."""
    tables = {t.name: t for t in probed.tables}
    columns = {t.name: {c.name: c for c in t.columns} for t in probed.tables}  # a types probe has 400
    return replace(
        desired,
        tables=model.sort_by_name([_table(plan, t, tables, columns) for t in desired.tables]),
        sync_triggers=tuple(sorted((replace(s, name=sync_name(s.table, s.column), function=sync_name(s.table, s.column))
                                    for s in desired.sync_triggers), key=lambda s: (s.table, s.column))),
        enums=model.sort_by_name([replace(e, comment=_comment(e.comment)) for e in desired.enums]),
        extensions=model.sort_by_name(desired.extensions),
    )


def _table(plan: ProbePlan, table: model.Table, probed: dict[str, model.Table],
           probed_columns: dict[str, dict[str, model.Column]]) -> model.Table:
    columns = {c.name: c for c in table.columns}
    key_columns = set(table.primary_key.columns) if table.primary_key else set()
    return replace(
        table,
        columns=tuple(_column(plan, table, c, columns, key_columns, probed_columns) for c in table.columns),
        checks=model.sort_by_name([_check(plan, c, columns, probed) for c in table.checks]),
        indexes=model.sort_by_name([_index(plan, i, columns, probed) for i in table.indexes]),
        uniques=model.sort_by_name(table.uniques),
        foreign_keys=model.sort_by_name(table.foreign_keys),
        comment=_comment(table.comment),
    )


def _comment(text: str | None) -> str | None:
    # COMMENT ON ... IS '' removes the comment: PostgreSQL keeps no empty one.
    return text or None


def _column(plan: ProbePlan, table: model.Table, column: model.Column, columns: dict[str, model.Column],
            key_columns: set[str], probed: dict[str, dict[str, model.Column]]) -> model.Column:
    serial = ddl.serial_type(table.name, column)
    # PostgreSQL makes primary-key, identity and serial columns NOT NULL whatever was written.
    nullable = column.nullable and column.name not in key_columns and column.identity is None and serial is None
    comment = _comment(column.comment)
    if serial is not None:
        return replace(column, type=serial, default=None, nullable=False, comment=comment)
    if column.generated is not None:
        probe = plan.contexts[_context_of(columns, plain_column_refs(column.generated)) or ()]
        read = _probe_column(probed, probe.table, probe.generated[(column.type, column.collation, column.generated)])
        return replace(column, type=read.type, collation=read.collation, generated=read.generated, default=None,
                       nullable=nullable, comment=comment)
    where = plan.types[(column.type, column.collation, column.default)]
    read = _probe_column(probed, where.table, where.name)
    if (read.type, read.collation, read.default, nullable, comment) == \
            (column.type, column.collation, column.default, column.nullable, column.comment):
        return column  # already as the server spells it (most columns of a large schema): no copy
    return replace(column, type=read.type, collation=read.collation, default=read.default, nullable=nullable,
                   comment=comment)


class NotReadBack(LookupError):
    """A probe object the catalog reader left out (it reads it as unmanaged, say an index whose expression
    key takes a column's non-default collation): only the whole build says what the model then holds."""


def _probe_column(probed: dict[str, dict[str, model.Column]], table: str, name: str) -> model.Column:
    found = probed.get(table, {}).get(name)
    if found is None:
        raise NotReadBack(f"probe column {table}.{name}")
    return found


def _read_back(found: Iterable[_Named], name: str) -> _Named:
    for item in found:
        if item.name == name:
            return item
    raise NotReadBack(name)


def _check(plan: ProbePlan, check: model.CheckConstraint, columns: dict[str, model.Column],
           probed: dict[str, model.Table]) -> model.CheckConstraint:
    probe = plan.contexts[_context_of(columns, plain_column_refs(check.expression)) or ()]
    name = probe.checks[check.expression]
    read = _read_back(probed[probe.table].checks if probe.table in probed else (), name)
    return replace(check, expression=read.expression)


def _index(plan: ProbePlan, index: model.Index, columns: dict[str, model.Column],
           probed: dict[str, model.Table]) -> model.Index:
    probe = plan.contexts[_context_of(columns, _index_refs(index)) or ()]
    name = probe.indexes[_shape(index)].name
    read = _read_back(probed[probe.table].indexes if probe.table in probed else (), name)
    return replace(read, name=index.name, comment=_comment(index.comment), valid=index.valid)
