"""Rows that both versions of a schema accept, and oracle 3: no row or value is lost.

``fill`` puts a handful of rows in every table of the old database: NULLs, edge values (integer
bounds, empty and multibyte text, quotes, infinities), values the CHECKs name, enum labels, JSON
documents built from the shapes, and foreign keys that point at rows inserted before. A row is
kept only when the *new* schema accepts it too: it is inserted, each in a savepoint, into the old
database and, with its kept columns converted the way the plan converts them (renames followed,
``USING col::type`` or the assignment cast), into a database built fresh from the new YAML. What
the fresh database returns for the kept columns is exactly what the migrated database must hold
once the plan has run: ``assert_rows_kept`` compares the two as multisets (no key is needed, so a
changed primary key is no problem). Rows already in ``before.sql`` are tried the same way.

Deterministic: the random choices are seeded by the caller (the case's name).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from pgevolve import model
from pgevolve.sqltext.type_changes import Conversion, conversion, parse_type
from pgevolve.sqltext.type_names import canonical_type
from row_values import INTEGERS, Mapping, Pools, plain, shape_context

ROWS_PER_TABLE = 6
ATTEMPTS_PER_TABLE = 80
MISSES_IN_A_ROW = 25  # a table that no candidate fits (a new NOT NULL column without default) gives up early
DEFAULT = object()  # the column is left out of the INSERT: it takes its default

__all__ = ["Filled", "Mapping", "assert_rows_kept", "fill", "shape_context"]


@dataclass(slots=True)
class TableRows:
    """What one table of the migrated database must hold: its kept columns, as text, as a multiset."""

    table: str  # its name in the new schema
    columns: tuple[str, ...]
    expected: Counter[tuple[str | None, ...]] = field(default_factory=Counter)


@dataclass(slots=True)
class Filled:
    tables: list[TableRows]
    rows: int  # rows in the old database, generated or already there
    unmatched: list[str]  # old tables whose existing rows the new schema refuses: not compared
    per_table: dict[str, int] = field(default_factory=dict)  # old table -> rows it holds
    refusals: Counter[str] = field(default_factory=Counter)  # why candidates were refused (old or new schema)


def fill(old_dsn: str, new_dsn: str, mapping: Mapping, shapes: dict[str, Any], *, seed: str) -> Filled:
    """Insert rows both versions accept; return what the migrated database must hold."""
    rng = random.Random(seed)
    pools = Pools(mapping, shapes)
    result = Filled(tables=[], rows=0, unmatched=[])
    accepted: dict[str, list[dict[str, str | None]]] = {}
    with psycopg.connect(old_dsn) as old_conn, psycopg.connect(new_dsn) as new_conn:
        for table in _insert_order(mapping):
            target = mapping.new_table(table.name)
            writer = _Writer(mapping, table, target, old_conn, new_conn)
            rows = writer.existing()
            if rows is None:  # before.sql holds rows the new schema refuses: nothing to compare them with
                result.unmatched.append(table.name)
                rows = []
            accepted[table.name] = [old for old, _ in rows]
            attempts, misses, wanted = 0, 0, len(rows) + ROWS_PER_TABLE
            while len(rows) < wanted and attempts < ATTEMPTS_PER_TABLE and misses < MISSES_IN_A_ROW:
                attempts += 1
                row = writer.insert(_candidate(table, mapping, pools, accepted, rng, misses))
                misses = 0 if row is not None else misses + 1
                if row is not None:
                    rows.append(row)
                    accepted[table.name].append(row[0])
            result.rows += len(accepted[table.name])
            result.per_table[table.name] = len(accepted[table.name])
            result.refusals.update({f"{table.name} {k}": v for k, v in writer.refusals.items()})
            if target is not None and table.name not in result.unmatched:
                result.tables.append(TableRows(table=target.name, columns=writer.compared,
                                               expected=Counter(new for _, new in rows)))
        old_conn.commit()
        new_conn.commit()
    return result


def assert_rows_kept(filled: Filled, dsn: str, schema: str) -> None:
    """Oracle 3: every row is still there and every kept column holds its value (or its declared cast)."""
    problems = []
    with psycopg.connect(dsn) as conn:
        for table in filled.tables:
            found = Counter(_select_text(conn, schema, table.table, table.columns))
            if found != table.expected:
                lost = table.expected - found
                extra = found - table.expected
                problems.append(f"{table.table} ({', '.join(table.columns)}): expected but missing {dict(lost)}; "
                                f"found instead {dict(extra)}")
    assert not problems, "rows or values lost:\n" + "\n".join(problems)


def _select_text(conn: psycopg.Connection, schema: str, table: str,
                 columns: tuple[str, ...]) -> Iterator[tuple[str | None, ...]]:
    if not columns:
        query = sql.SQL("SELECT FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    else:
        query = sql.SQL("SELECT {} FROM {}.{}").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
            sql.Identifier(schema), sql.Identifier(table))
    for row in conn.execute(query):
        yield tuple(row)


# -- which rows ---------------------------------------------------------------------------------

def _foreign_keys(mapping: Mapping, table: model.Table) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(old columns, old referenced table, old referenced columns) of the table's FKs, old and new."""
    found = [(fk.columns, fk.ref_table, fk.ref_columns) for fk in table.foreign_keys
             if fk.ref_schema in (None, mapping.old.schema) and mapping.old.table(fk.ref_table)]
    target = mapping.new_table(table.name)
    for fk in target.foreign_keys if target else ():
        ref_old = mapping.old_table_name(fk.ref_table)
        ref_table = mapping.old.table(ref_old) if ref_old else None
        columns = tuple(mapping.old_column(table, target.name, c) for c in fk.columns)  # type: ignore[union-attr]
        refs = tuple(mapping.old_column(ref_table, fk.ref_table, c) for c in fk.ref_columns) if ref_table else ()
        if ref_table is None or None in columns or None in refs:
            found.append((tuple(c for c in columns if c), "", ()))  # points at a new table: NULL only
        else:
            found.append((columns, ref_table.name, refs))  # type: ignore[arg-type]
    return found


def _insert_order(mapping: Mapping) -> list[model.Table]:
    """Referenced tables first (old and new foreign keys); a cycle is cut anywhere."""
    tables = {t.name: t for t in mapping.old.tables}
    needs = {name: {ref for _, ref, _ in _foreign_keys(mapping, t) if ref and ref != name}
             for name, t in tables.items()}
    order: list[model.Table] = []
    done: set[str] = set()
    while len(done) < len(tables):
        ready = sorted(n for n in tables if n not in done and needs[n] <= done)
        if not ready:  # a cycle: take the first table left, its references to later tables stay NULL
            ready = [sorted(n for n in tables if n not in done)[0]]
        for name in ready:
            order.append(tables[name])
            done.add(name)
    return order


def _candidate(table: model.Table, mapping: Mapping, pools: Pools, accepted: dict[str, list[dict[str, str | None]]],
               rng: random.Random, misses: int) -> dict[str, object]:
    """One row to try: column name -> text value, None (NULL) or DEFAULT; more NULLs after each refusal."""
    row: dict[str, object] = {}
    null_bias = min(0.8, 0.1 + misses * 0.04)
    for column in table.columns:
        if column.generated is not None:
            continue
        if column.identity or (column.default or "").startswith("nextval("):
            row[column.name] = DEFAULT if rng.random() < 0.9 else rng.choice(INTEGERS[:8])
            continue
        if column.default is not None and rng.random() < 0.25:
            row[column.name] = DEFAULT
        elif column.nullable and rng.random() < null_bias:
            row[column.name] = None
        else:
            row[column.name] = pools.value(table, column, rng)
    for columns, ref_table, ref_columns in _foreign_keys(mapping, table):
        existing = accepted.get(ref_table, []) if ref_table else []
        if existing and rng.random() < 0.8:
            target = rng.choice(existing)
            for column, ref_column in zip(columns, ref_columns, strict=True):
                row[column] = target.get(ref_column)
        else:
            for column in columns:
                row[column] = None
    return row


# -- writing a row to both databases -------------------------------------------------------------

class _Writer:
    """Inserts a candidate into the old table and, converted as the plan converts, into the new one."""

    def __init__(self, mapping: Mapping, table: model.Table, target: model.Table | None,
                 old_conn: psycopg.Connection, new_conn: psycopg.Connection) -> None:
        self.mapping, self.table, self.target = mapping, table, target
        self.old_conn, self.new_conn = old_conn, new_conn
        self.schema = mapping.old.schema
        self.before: list[dict[str, str | None]] = []
        self.refusals: Counter[str] = Counter()  # why candidates were refused, for the figures
        self.last_refusal = ""
        # new column -> old column, for the columns that are kept (not generated in the new schema)
        self.kept: dict[str, str] = {}
        if target is not None:
            for column in target.columns:
                old_name = mapping.old_column(table, target.name, column.name)
                if old_name is not None and column.generated is None:
                    self.kept[column.name] = old_name
        self.compared = tuple(self.kept)

    def existing(self) -> list[tuple[dict[str, str | None], tuple[str | None, ...]]] | None:
        """Rows already in the old table (before.sql), tried into the new one; None if it refuses one."""
        names = tuple(c.name for c in self.table.columns)
        self.before = [dict(zip(names, row, strict=True))
                       for row in _select_text(self.old_conn, self.schema, self.table.name, names)]
        rows = []
        for old in self.before:
            # A row the new schema refuses (a CHECK or foreign key it declares NOT VALID) stays in the
            # migrated table all the same: its kept values converted, without an insert.
            new = self._insert_new(old)
            if new is None:
                new = self._converted_row(old)
            if new is None:
                return None
            rows.append((old, new))
        return rows

    def _converted_row(self, old: dict[str, str | None]) -> tuple[str | None, ...] | None:
        """The kept columns of ``old`` as the new table would store them, by a SELECT of their conversions."""
        assert self.target is not None  # _insert_new accepts every row of a table that goes
        values = [sql.SQL("CAST({} AS {})::text").format(self._converted(old_name, new_name),
                                                          sql.SQL(self.target.column(new_name).type))  # type: ignore[union-attr]
                  for new_name, old_name in self.kept.items()]
        try:
            with self.new_conn.transaction():
                self.new_conn.execute("SELECT set_config('search_path', %s, true)", (self.schema,))
                row = self.new_conn.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(values) or sql.SQL("")),
                                            [old[o] for o in self.kept.values()]).fetchone()
        except psycopg.Error:
            return None
        assert row is not None
        return tuple(row)

    def insert(self, candidate: dict[str, object]) -> tuple[dict[str, str | None], tuple[str | None, ...]] | None:
        try:
            with self.old_conn.transaction():
                old = self._insert_old(candidate)
                new = self._insert_new(old)
                if new is None:
                    raise _Refused(self.last_refusal)
        except psycopg.Error as exc:
            self.refusals[f"old: {exc.diag.message_primary}"] += 1
            return None
        except _Refused as exc:
            self.refusals[f"new: {exc}"] += 1
            return None
        return old, new

    def _insert_old(self, candidate: dict[str, object]) -> dict[str, str | None]:
        given = {c: v for c, v in candidate.items() if v is not DEFAULT}
        returning = _texts(c.name for c in self.table.columns)
        query = _insert_sql(self.schema, self.table.name, list(given), [sql.Placeholder()] * len(given), returning)
        row = self.old_conn.execute(query, list(given.values())).fetchone()
        assert row is not None
        names = [c.name for c in self.table.columns]
        return dict(zip(names, row if names else (), strict=True))

    def _insert_new(self, old: dict[str, str | None]) -> tuple[str | None, ...] | None:
        if self.target is None:
            return ()
        columns, values, params = [], [], []
        for new_name, old_name in self.kept.items():
            columns.append(new_name)
            values.append(self._converted(old_name, new_name))
            params.append(old[old_name])
        query = _insert_sql(self.schema, self.target.name, columns, values, _texts(self.compared))
        try:
            with self.new_conn.transaction():
                row = self.new_conn.execute(query, params).fetchone()
        except psycopg.Error as exc:
            self.last_refusal = exc.diag.message_primary or str(exc)
            return None
        assert row is not None
        return tuple(row) if self.compared else ()

    def _converted(self, old_name: str, new_name: str) -> sql.Composable:
        """The old value as the plan turns it into the new column's type."""
        old_type = self.table.column(old_name).type  # type: ignore[union-attr]
        new_type = self.target.column(new_name).type  # type: ignore[union-attr]
        enums = {e.name for e in (*self.mapping.old.enums, *self.mapping.new.enums)}
        old_base, new_base = parse_type(old_type).base, parse_type(new_type).base
        if canonical_type(old_type) == canonical_type(new_type) or old_base in enums or new_base in enums:
            return sql.Placeholder()  # the text of the value is its input, in either version
        cast = sql.SQL("CAST({} AS {})").format(sql.Placeholder(), sql.SQL(plain(old_type)))
        if conversion(plain(old_type), plain(new_type)) is Conversion.EXPLICIT:
            return sql.SQL("CAST({} AS {})").format(cast, sql.SQL(plain(new_type)))
        return cast  # assigned to the column: the assignment cast, as ALTER COLUMN TYPE without USING


class _Refused(Exception):
    pass


def _texts(columns: Iterable[str]) -> sql.Composable:
    """What an INSERT returns: each column as text; ``1`` for a table without columns (rows all the same)."""
    found = [sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns]
    return sql.SQL(", ").join(found) if found else sql.SQL("1")


def _insert_sql(schema: str, table: str, columns: list[str], values: list[sql.Composable],
                returning: sql.Composable) -> sql.Composed:
    target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    if not columns:
        return sql.SQL("INSERT INTO {} DEFAULT VALUES RETURNING {}").format(target, returning)
    return sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ({}) RETURNING {}").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.SQL(", ").join(values), returning)
