"""The two oracles every golden case and property test checks."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model


def same_catalog(migrated: model.Database, fresh: model.Database) -> bool:
    """Equal but for column order: PostgreSQL appends added columns and cannot reorder them."""

    def by_name(db: model.Database) -> model.Database:
        tables = tuple(replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name))) for t in db.tables)
        return replace(db, tables=tables)

    return by_name(migrated) == by_name(fresh)
