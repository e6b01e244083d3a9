"""Oracle 4, no window: between any two units of a plan, every guarantee both versions give holds.

A unit is what commits on its own: a transaction, or one statement outside a transaction
(CONCURRENTLY, ALTER TYPE ... ADD VALUE, a backfill). ``Watcher`` reads the catalog before the plan
(the old schema) and after it (the new one), pairs what both have, and checks the catalog after
every unit, on a connection of its own (what any other session sees at that moment):

- a CHECK both have (same name, or same definition): a CHECK with the old's or the new's name or
  definition exists. NOT VALID counts: PostgreSQL checks new rows against it all the same;
- a FOREIGN KEY both have (the same columns to the same columns of the same table; its name and
  ON DELETE may differ): such a foreign key exists;
- an index both have, PRIMARY KEY and UNIQUE included (same name, or same definition: keys,
  expressions, predicate, method, opclasses, uniqueness): an index with either name or definition
  is ``indisvalid`` and ``indisready`` (it serves queries and enforces uniqueness);
- NOT NULL on a column both have: the column is ``attnotnull``, or a CHECK (col IS NOT NULL) holds it.

This is a catalog check, which the issue accepts in place of inserting probe rows: each object
present and ready enforces new rows by PostgreSQL's own rules. Tables are followed by OID and
columns by number, so renames need no mapping; definitions are compared on the server's node
trees (``conbin``, ``indexprs``, ``indpred``) without their text positions, which name columns by
number too. A type change alters a definition's node tree, so a pair is matched by name as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

_CONSTRAINTS = """
SELECT c.conrelid::int, c.contype::text, c.conname::text,
       regexp_replace(coalesce(c.conbin::text, ''), ' :location -?[0-9]+', '', 'g'),
       coalesce(c.conkey::int[], '{}'), c.confrelid::int, coalesce(c.confkey::int[], '{}'),
       pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE n.nspname = %s AND c.contype IN ('c', 'f')
"""
_INDEXES = """
SELECT i.indrelid::int, x.relname::text, i.indisvalid AND i.indisready, i.indisunique, a.amname::text,
       i.indkey::int2[]::int[], i.indclass::oid[]::int[], i.indoption::int2[]::int[], i.indnkeyatts::int,
       regexp_replace(coalesce(i.indexprs::text, ''), ' :location -?[0-9]+', '', 'g'),
       regexp_replace(coalesce(i.indpred::text, ''), ' :location -?[0-9]+', '', 'g')
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class r ON r.oid = i.indrelid
JOIN pg_namespace n ON n.oid = r.relnamespace JOIN pg_am a ON a.oid = x.relam
WHERE n.nspname = %s AND r.relkind IN ('r', 'p')
"""
_NOT_NULL = """
SELECT a.attrelid::int, a.attnum::int, a.attname::text
FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE n.nspname = %s AND r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
"""
_COLUMNS = """
SELECT a.attrelid::int, a.attnum::int, a.attname::text
FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE n.nspname = %s AND r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""
_TABLE_NAMES = """
SELECT r.oid::int, r.relname::text FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE n.nspname = %s AND r.relkind IN ('r', 'p')
"""


@dataclass(frozen=True, slots=True)
class _Check:
    table: int
    name: str
    definition: str  # conbin without locations


@dataclass(frozen=True, slots=True)
class _ForeignKey:
    table: int
    name: str
    shape: tuple[Any, ...]  # (conkey, confrelid, confkey)


@dataclass(frozen=True, slots=True)
class _Index:
    table: int
    name: str
    ready: bool
    definition: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The guarantees of the owned schema at one moment."""

    checks: tuple[_Check, ...]
    check_texts: frozenset[tuple[int, str]]  # (table, pg_get_constraintdef)
    foreign_keys: tuple[_ForeignKey, ...]
    indexes: tuple[_Index, ...]
    not_null: frozenset[tuple[int, int]]
    columns: dict[tuple[int, int], str]
    tables: dict[int, str]


def read_catalog(conn: psycopg.Connection, schema: str) -> Catalog:
    checks, texts, fks = [], set(), []
    for table, kind, name, definition, conkey, confrelid, confkey, text in conn.execute(_CONSTRAINTS, (schema,)):
        if kind == "c":
            checks.append(_Check(table, name, definition))
            texts.add((table, text))
        else:
            fks.append(_ForeignKey(table, name, (tuple(conkey), confrelid, tuple(confkey))))
    indexes = [_Index(row[0], row[1], row[2], tuple(tuple(v) if isinstance(v, list) else v for v in row[3:]))
               for row in conn.execute(_INDEXES, (schema,))]
    not_null = frozenset((t, n) for t, n, _ in conn.execute(_NOT_NULL, (schema,)))
    columns = {(t, n): name for t, n, name in conn.execute(_COLUMNS, (schema,))}
    tables = dict(conn.execute(_TABLE_NAMES, (schema,)).fetchall())
    return Catalog(tuple(checks), frozenset(texts), tuple(fks), tuple(indexes), not_null, columns, tables)


@dataclass(frozen=True, slots=True)
class Guarantee:
    """Something both versions give, and the test that it holds at a moment."""

    description: str
    holds: Callable[[Catalog], bool]


def shared_guarantees(old: Catalog, new: Catalog) -> list[Guarantee]:
    """Every CHECK, FOREIGN KEY, index and NOT NULL that the old and the new catalog both have."""
    return [*_checks(old, new), *_foreign_keys(old, new), *_indexes(old, new), *_not_nulls(old, new)]


def _pair(old_items: tuple[Any, ...], new_items: tuple[Any, ...], same: Callable[[Any, Any], bool]) -> list[Any]:
    pairs, taken = [], set()
    for o in old_items:
        match = next((n for n in new_items if id(n) not in taken and same(o, n)), None)
        if match is not None:
            taken.add(id(match))
            pairs.append((o, match))
    return pairs


def _checks(old: Catalog, new: Catalog) -> list[Guarantee]:
    def same(o: _Check, n: _Check) -> bool:
        return o.table == n.table and (o.name == n.name or o.definition == n.definition)

    found = []
    for o, n in _pair(old.checks, new.checks, same):
        def holds(c: Catalog, o: _Check = o, n: _Check = n) -> bool:
            return any(x.table == o.table and (x.name in (o.name, n.name) or x.definition in (o.definition,
                                                                                          n.definition))
                       for x in c.checks)
        found.append(Guarantee(f"CHECK {n.name} on {new.tables[n.table]}", holds))
    return found


def _foreign_keys(old: Catalog, new: Catalog) -> list[Guarantee]:
    # The same columns pointing at the same columns of the same table, whatever the names and
    # ON DELETE: a foreign key whose target changed is another guarantee, not a shared one.
    def same(o: _ForeignKey, n: _ForeignKey) -> bool:
        return o.table == n.table and o.shape == n.shape

    found = []
    for o, n in _pair(old.foreign_keys, new.foreign_keys, same):
        def holds(c: Catalog, o: _ForeignKey = o) -> bool:
            return any(x.table == o.table and x.shape == o.shape for x in c.foreign_keys)
        found.append(Guarantee(f"FOREIGN KEY {n.name} on {new.tables[n.table]}", holds))
    return found


def _indexes(old: Catalog, new: Catalog) -> list[Guarantee]:
    def same(o: _Index, n: _Index) -> bool:
        return o.table == n.table and o.ready and n.ready and (o.name == n.name or o.definition == n.definition)

    found = []
    for o, n in _pair(old.indexes, new.indexes, same):
        def holds(c: Catalog, o: _Index = o, n: _Index = n) -> bool:
            return any(x.table == o.table and x.ready and (x.name in (o.name, n.name)
                                                            or x.definition in (o.definition, n.definition))
                       for x in c.indexes)
        found.append(Guarantee(f"index {n.name} on {new.tables[n.table]}", holds))
    return found


def _not_nulls(old: Catalog, new: Catalog) -> list[Guarantee]:
    found = []
    for table, number in sorted(old.not_null):
        name = old.columns[(table, number)]
        now = (table, number) if (table, number) in new.not_null else next(
            (key for key, n in new.columns.items() if key[0] == table and n == name and key in new.not_null), None)
        if now is None:
            continue

        def holds(c: Catalog, table: int = table, numbers: tuple[int, ...] = (number, now[1]),
                  names: tuple[str, ...] = (name, new.columns[now])) -> bool:
            present = [k for k, n in c.columns.items() if k[0] == table and (k[1] in numbers or n in names)]
            return any(k in c.not_null or (table, f"CHECK (({c.columns[k]} IS NOT NULL))") in c.check_texts
                       for k in present)
        found.append(Guarantee(f"NOT NULL {new.tables[table]}.{new.columns[now]}", holds))
    return found


@dataclass(slots=True)
class Watcher:
    """Reads the catalog after every unit of an apply; reports each shared guarantee found missing."""

    dsn: str
    schema: str
    moments: list[tuple[str, Catalog]] = field(default_factory=list)
    _conn: psycopg.Connection = field(init=False)

    def __post_init__(self) -> None:
        self._conn = psycopg.connect(self.dsn, autocommit=True)
        self.moments.append(("before the plan", read_catalog(self._conn, self.schema)))

    def after_unit(self, label: str) -> None:
        self.moments.append((label, read_catalog(self._conn, self.schema)))

    def windows(self) -> list[str]:
        """After the plan: each (moment, guarantee) where a guarantee both versions share was missing."""
        final = read_catalog(self._conn, self.schema)
        self._conn.close()
        guarantees = shared_guarantees(self.moments[0][1], final)
        return [f"{label}: {g.description} is missing" for label, catalog in self.moments[1:]
                for g in guarantees if not g.holds(catalog)]

    @property
    def units(self) -> int:
        return len(self.moments) - 1
