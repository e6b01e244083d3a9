"""The two oracles every golden case and property test checks."""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model


def same_catalog(migrated: model.Database, fresh: model.Database) -> bool:
    """Equal but for column order (PostgreSQL appends added columns and cannot reorder them) and for
    extensions, which pgevolve neither moves nor drops: a listed one counts as installed wherever it
    lives, an unlisted one is left alone (not the project's)."""

    def by_name(db: model.Database) -> model.Database:
        tables = tuple(replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name))) for t in db.tables)
        return replace(db, tables=tables)

    wanted = {e.name: e for e in fresh.extensions}
    extensions = tuple(e if e.schema is None else wanted[e.name] for e in migrated.extensions if e.name in wanted)
    return by_name(replace(migrated, extensions=extensions)) == by_name(fresh)
