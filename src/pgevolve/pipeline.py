"""The pipeline end to end: YAML + live database -> plan. One call per CLI command."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pgevolve import cache, model
from pgevolve.catalog import Catalog, CatalogTimeouts, read_catalog
from pgevolve.catalog.fingerprint import object_fingerprints
from pgevolve.catalog.normalize import canonicalize_many
from pgevolve.model import UnmanagedObject
from pgevolve.server.connect import Target, connect

if TYPE_CHECKING:  # imported where used: `pgevolve validate` never loads the planner
    from pgevolve.changes import Change
    from pgevolve.plan.steps import Plan
    from pgevolve.source.project import Project


@dataclass(frozen=True, slots=True)
class Compiled:
    project: Project
    desired: model.Database
    hints: model.Hints
    # The other owned schemas (schemas: in pgevolve.yaml), each compiled on its own.
    others: tuple[tuple[model.Database, model.Hints], ...] = ()

    @property
    def parts(self) -> tuple[tuple[model.Database, model.Hints], ...]:
        """(desired, hints) of every owned schema, the project's first."""
        return ((self.desired, self.hints), *self.others)


@dataclass(frozen=True, slots=True)
class Planned:
    schema_dir: Path
    target: Target
    actual: model.Database
    desired: model.Database  # canonical: as PostgreSQL spells it
    plan: Plan
    unmanaged: tuple[UnmanagedObject, ...]
    known: Compiled | None  # None on the no-op fast path, which never needed it
    # The catalog the plan was made against, one fingerprint per object (catalog.fingerprint):
    # apply compares it with the catalog it finds once it holds the advisory lock.
    catalog_objects: dict[str, str] = field(default_factory=dict)
    # The other owned schemas (schemas: in pgevolve.yaml): (actual, desired) of each, as actual/desired above.
    others: tuple[tuple[model.Database, model.Database], ...] = ()

    @property
    def schemas(self) -> tuple[str, ...]:
        """Every owned schema: the project's first."""
        return (self.desired.schema, *(desired.schema for _, desired in self.others))

    @property
    def compiled(self) -> Compiled:
        """The compiled YAML (from the cache when the fast path skipped it)."""
        return self.known if self.known is not None else compile_schema(self.schema_dir)

    def differences(self) -> tuple[Change, ...]:
        """Every difference between the database and the YAML (none when the plan is empty); the other owned
        schemas' too."""
        from pgevolve.diff import diff

        if self.plan.is_empty:
            return ()
        hints = [hints for _, hints in self.compiled.parts]
        pairs = [(self.actual, self.desired), *self.others]
        return tuple(c for (actual, desired), h in zip(pairs, hints, strict=True) for c in diff(actual, desired, h))

    def save(self, path: Path) -> None:
        """Write the plan and what it was computed from (``pgevolve plan --out``)."""
        from pgevolve.apply.saved import save_plan

        save_plan(path, plan=self.plan, schema=self.desired.schema, catalog_objects=self.catalog_objects,
                  yaml_desired=self.compiled.desired, database=self.target.describe(), others=self.schemas[1:])


def compile_schema(schema_dir: Path) -> Compiled:
    """Load, validate and compile the YAML under schema_dir (cached by the files' bytes)."""
    key = _sources_key(schema_dir)
    cached = cache.load("compiled", key) if key else None
    if isinstance(cached, Compiled):
        return cached
    from pgevolve.source import compile_project, load_project

    project = load_project(schema_dir)
    desired, hints = compile_project(project)
    compiled = Compiled(project=project, desired=desired, hints=hints,
                        others=tuple(_without_prerequisites(compile_project(other)) for other in project.others))
    if key:
        cache.store("compiled", key, compiled)
    return compiled


# The cache key reads what load_project may read and no more (a big file elsewhere under
# schema/, or a link to a big file outside it, is never read whole just to make a key).
# Kept apart from source/load.py, whose import costs a plan that hits the cache.
_SOURCE_DIRECTORIES = ("tables", "shapes")
_MAX_SOURCE_BYTES = 1024 * 1024  # source/yaml_limits.MAX_FILE_BYTES
_MAX_SOURCE_FILES = 20_000  # source/load.MAX_FILES per directory


def _without_prerequisites(compiled: tuple[model.Database, model.Hints]) -> tuple[model.Database, model.Hints]:
    """Another owned schema's model: the prerequisites are created once, with the project's schema."""
    return replace(compiled[0], prerequisites=()), compiled[1]


def _sources_key(schema_dir: Path) -> str | None:
    """A key over every file load_project can read (path and bytes); None: no cache, load_project says why.

    The files hashed are a superset of those read (so the key changes whenever the result
    can); anything load_project would refuse (not a regular file, a link out of the schema
    directory, over the size limit) means no key rather than a read.
    """
    try:
        root = schema_dir.resolve()
        files = [schema_dir / "pgevolve.yaml", schema_dir / "prerequisites.sql"]
        for name in _SOURCE_DIRECTORIES:
            if (schema_dir / name).is_dir():
                files += sorted(p for p in (schema_dir / name).rglob("*") if p.suffix in (".yaml", ".yml"))
        if len(files) > _MAX_SOURCE_FILES:
            return None
        parts = []
        for path in files:
            if path.name == "prerequisites.sql" and not path.exists() and not path.is_symlink():
                continue  # the one optional file
            if not path.is_file() or not path.resolve().is_relative_to(root):
                return None
            if path.stat().st_size > _MAX_SOURCE_BYTES:
                return None
            parts.append(f"{path.relative_to(schema_dir)}\0".encode() + path.read_bytes())
    except OSError:
        return None
    return cache.key_of(str(schema_dir), *parts)


def read_database(dsn: str, schema: str) -> tuple[model.Database, tuple[UnmanagedObject, ...]]:
    """The live owned schema as a model, and the objects pgevolve does not manage."""
    catalog = _read(dsn, schema)
    return catalog.database, catalog.unmanaged


def _read(dsn: str, schema: str, timeouts: CatalogTimeouts | None = None) -> Catalog:
    """The catalog, every query in one snapshot with bounded waits."""
    with connect(dsn) as conn:
        return read_catalog(conn, schema, timeouts=timeouts)


def _objects(catalog: Catalog) -> dict[str, str]:
    return object_fingerprints(catalog.database, catalog.unmanaged)


def plan_against(schema_dir: Path, target: Target, *, dev_url: str | None = None,
                 timeouts: CatalogTimeouts | None = None) -> Planned:
    """Compile the YAML, read the target, normalize through the server, and plan.

    Fast path: when the YAML is unchanged since a plan that recorded the
    fingerprint of its canonical desired state, and the live catalog has that
    same fingerprint, the plan is empty without loading the compiled model.
    """
    from pgevolve.plan.steps import Plan

    sources = _sources_key(schema_dir)
    summary = cache.load("summary", sources) if sources else None
    # A project with prerequisites checks them on the target every time (a fingerprint of the catalog
    # does not say whether a function exists): the full path, with the canonical form from the cache.
    if isinstance(summary, dict) and "extensions" in summary and not summary.get("prerequisites"):
        catalog = _read(target.dsn, summary["schema"], timeouts)
        actual, listed = catalog.database, frozenset(summary["extensions"])
        if summary.get(catalog.server_version) == _fingerprint(_listed_extensions_only(actual, listed)):
            return Planned(schema_dir=schema_dir, target=target, actual=actual, desired=actual, plan=Plan(),
                           unmanaged=catalog.unmanaged + _unlisted_extensions(actual, listed), known=None,
                           catalog_objects=_objects(catalog))
    return _plan_fully(schema_dir, target, dev_url, sources, timeouts)


def _fingerprint(db: model.Database) -> str:
    return cache.key_of(repr(db))


def _listed_extensions_only(db: model.Database, listed: frozenset[str]) -> model.Database:
    """The catalog as the differ sees it: extensions the YAML does not list are left alone."""
    return replace(db, extensions=tuple(e for e in db.extensions if e.name in listed))


def _unlisted_extensions(actual: model.Database, listed: frozenset[str]) -> tuple[UnmanagedObject, ...]:
    return tuple(UnmanagedObject(kind="extension", name=e.name, detail="not listed in pgevolve.yaml")
                 for e in actual.extensions if e.name not in listed)


def _present_prerequisites(dsn: str, desired: model.Database) -> tuple[model.Prerequisite, ...]:
    from pgevolve.catalog.prerequisites import present_prerequisites

    with connect(dsn) as conn:
        return present_prerequisites(conn, desired.schema, desired.prerequisites)


def _plan_fully(schema_dir: Path, target: Target, dev_url: str | None, sources: str | None,
                timeouts: CatalogTimeouts | None) -> Planned:
    from pgevolve.plan.steps import merge_plans

    compiled = compile_schema(schema_dir)
    parts = compiled.parts
    catalogs = [_read(target.dsn, desired.schema, timeouts) for desired, _ in parts]
    setup = tuple(obj.setup for catalog in catalogs for obj in catalog.unmanaged if obj.setup)
    canonicals = canonicalize_many(tuple(desired for desired, _ in parts), server_dsn=dev_url or target.dsn,
                                   setup=setup)
    actuals = [catalog.database for catalog in catalogs]
    prerequisites = compiled.desired.prerequisites
    if prerequisites:
        # The catalog reader does not model them: the desired ones are set on both sides, the target's
        # being those it already has, so the differ creates the missing ones and nothing else.
        canonicals = (replace(canonicals[0], prerequisites=prerequisites), *canonicals[1:])
        actuals[0] = replace(actuals[0], prerequisites=_present_prerequisites(target.dsn, canonicals[0]))
    if sources and not dev_url and not compiled.others:
        summary = cache.load("summary", sources)
        summary = summary if isinstance(summary, dict) else {}
        summary.update({"schema": compiled.desired.schema, catalogs[0].server_version: _fingerprint(canonicals[0]),
                        "prerequisites": bool(prerequisites),
                        "extensions": sorted(e.name for e in compiled.desired.extensions)})
        cache.store("summary", sources, summary)
    plans = [_plan_part(actual, canonical, hints, catalog.unmanaged)
             for actual, canonical, (_, hints), catalog in zip(actuals, canonicals, parts, catalogs, strict=True)]
    plan = plans[0] if len(plans) == 1 else merge_plans(
        [(None if i == 0 else canonicals[i].schema, p) for i, p in enumerate(plans)])
    listed = frozenset(e.name for e in compiled.desired.extensions)
    # Another schema's objects are named with it (those outside every owned schema already are, once).
    unmanaged = tuple(dict.fromkeys(catalogs[0].unmanaged + tuple(
        obj if (obj.detail or "").startswith("in schema") else replace(obj, name=f"{c.database.schema}.{obj.name}")
        for c in catalogs[1:] for obj in c.unmanaged)))
    return Planned(schema_dir=schema_dir, target=target, actual=actuals[0], desired=canonicals[0], plan=plan,
                   unmanaged=unmanaged + _unlisted_extensions(actuals[0], listed),
                   known=compiled, catalog_objects=merged_objects(catalogs),
                   others=tuple(zip(actuals[1:], canonicals[1:], strict=True)))


def _plan_part(actual: model.Database, desired: model.Database, hints: model.Hints,
               unmanaged: tuple[UnmanagedObject, ...]) -> Plan:
    """The plan of one owned schema."""
    from pgevolve.diff import as_matched, diff
    from pgevolve.plan.blockers import find_blockers
    from pgevolve.plan.planner import plan_changes

    changes = diff(actual, desired, hints)
    plan = plan_changes(changes, actual, as_matched(actual, desired, hints))
    return replace(plan, blockers=find_blockers(changes, unmanaged, actual, hints))


def merged_objects(catalogs: list[Catalog]) -> dict[str, str]:
    """The fingerprints of every owned schema's catalog; another schema's keys start with its name."""
    from pgevolve.catalog.fingerprint import schemas_fingerprints

    return schemas_fingerprints([(c.database, c.unmanaged) for c in catalogs])
