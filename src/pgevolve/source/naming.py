"""Default names for constraints and indexes, chosen the way PostgreSQL chooses them.

PostgreSQL picks ``<table>_<columns>_<label>`` and, when that name is taken,
tries ``..._<label>1``, ``..._<label>2`` (ChooseRelationName and
ChooseConstraintName). Index names must be unique among the schema's relations;
a default constraint name also avoids every constraint name in the schema.
Explicit names from the YAML are reserved first, so a default never takes one.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pgevolve import model
from pgevolve.source.project import Project
from pgevolve.sqltext import ident
from pgevolve.sqltext.expressions import index_key_name

_LABELLED = re.compile(r"^(?P<base>.+)_(?P<label>[a-z]+)$", re.DOTALL)
_SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def safe_file_stem(name: str, *, taken: bool = False) -> str:
    """A table's YAML file name without ``.yaml`` (or a schema's folder): the name; where that is unsafe as a
    file name, or ``taken`` (another table's name but for case, which a case-insensitive file system would
    merge), the name made safe and a hash of it."""
    if _SAFE_FILE_STEM.fullmatch(name) and not taken:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".")[:40] + f"-{digest}"


def names_table_file(stem: str, table: str) -> bool:
    """Whether a file so named is the table's: its name, or the hashed form ``pgevolve import`` writes."""
    return stem in (table, safe_file_stem(table, taken=True))


@dataclass(slots=True)
class Namer:
    """The names taken so far in the owned schema."""

    relations: set[str] = field(default_factory=set)  # tables and indexes (primary keys and UNIQUEs too)
    constraints: set[str] = field(default_factory=set)

    @classmethod
    def reserving(cls, project: Project) -> Namer:
        """A Namer holding every table name and every name written in the YAML."""
        namer = cls()
        for table in project.tables:
            namer.relations.add(table.name)
            for key in (table.primary_key, *table.uniques):
                if key is not None and key.name:
                    namer.relations.add(key.name)
                    namer.constraints.add(key.name)
            namer.constraints.update(c.name for c in table.checks if c.name)
            namer.constraints.update(f.name for f in table.foreign_keys if f.name)
            namer.relations.update(i.name for i in table.indexes if i.name)
        return namer

    def choose(self, table: str, addition: str | None, label: str, *, relation: bool, constraint: bool) -> str:
        """The first free name of ``<table>_<addition>_<label>``, ``..._<label>1``, ..."""
        for attempt in itertools.count():
            suffix = label if attempt == 0 else f"{label}{attempt}"
            name = ident.make_object_name(table, addition, suffix)
            if (relation and name in self.relations) or (constraint and name in self.constraints):
                continue
            if relation:
                self.relations.add(name)
            if constraint:
                self.constraints.add(name)
            return name
        raise AssertionError("unreachable")

    def key_name(self, table: str, columns: Sequence[str | None], label: str, *, relation: bool) -> str:
        """A default name over key columns (an expression key counts as None: "expr")."""
        addition = ident.column_addition([c or "expr" for c in columns])
        return self.choose(table, addition, label, relation=relation, constraint=label != "idx")

    def claim(self, name: str, *, relation: bool) -> str:
        """A name chosen elsewhere (the JSONB lowering): kept when free, else numbered like a default."""
        taken = self.relations if relation else self.constraints
        if name not in taken:
            taken.add(name)
            return name
        match = _LABELLED.match(name)
        base, label = (match["base"], match["label"]) if match else (name, "")
        return self.choose(base, None, label, relation=relation, constraint=not relation)


def default_index_name(table: str, index: model.Index) -> str:
    """The name PostgreSQL gives this index when none is written (before numbering away clashes).

    Keys count by column name, an expression by PostgreSQL's FigureIndexColname (``lower(email)`` ->
    ``lower``, ``data->>'vin'`` -> ``expr``), and INCLUDE columns count too: ``t_a_b_name_idx``.
    """
    keys = [k.column or (index_key_name(k.expression) if k.expression else None) for k in index.keys]
    return ident.index_name(table, [*keys, *index.include])
