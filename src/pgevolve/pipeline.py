"""The pipeline end to end: YAML + live database -> plan. One call per CLI command."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pgevolve import cache, model
from pgevolve.catalog import Catalog, CatalogRows, CatalogTimeouts, read_catalog, read_catalog_rows
from pgevolve.catalog.fingerprint import object_fingerprints
from pgevolve.catalog.unmanaged import unmanaged_from_rows
from pgevolve.model import UnmanagedObject
from pgevolve.server.connect import Target, connect

if TYPE_CHECKING:  # imported where used: `pgevolve validate` never loads the planner
    from pgevolve.changes import Change
    from pgevolve.plan.steps import Plan
    from pgevolve.source.project import Project


@dataclass(frozen=True, slots=True)
class Compiled:
    desired: model.Database
    hints: model.Hints
    schema_dir: Path
    # The parsed YAML, with a mark for every node: left out of the cache, where it would cost more
    # to write and read than to parse again; only `generate` and the PR comment need it.
    loaded: Project | None = field(default=None, compare=False)

    @property
    def project(self) -> Project:
        """The YAML project (parsed again when this value came from the cache)."""
        if self.loaded is not None:
            return self.loaded
        from pgevolve.source import load_project

        return load_project(self.schema_dir)

    def __getstate__(self) -> tuple[model.Database, model.Hints, Path]:
        return self.desired, self.hints, self.schema_dir

    def __setstate__(self, state: tuple[model.Database, model.Hints, Path]) -> None:
        for name, value in zip(("desired", "hints", "schema_dir", "loaded"), (*state, None), strict=True):
            object.__setattr__(self, name, value)


class LiveCatalog:
    """The catalog a plan was made against, built into the model only when first asked for.

    A no-op plan recognised by its rows' digest (``plan_against``) needs no model at all
    unless the caller asks for one (a saved plan, the PR comment).
    """

    __slots__ = ("_catalog", "_listed", "_rows")

    def __init__(self, *, listed: frozenset[str], catalog: Catalog | None = None,
                 rows: CatalogRows | None = None) -> None:
        self._catalog, self._rows, self._listed = catalog, rows, listed

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            assert self._rows is not None
            self._catalog = self._rows.build()
        return self._catalog

    @property
    def unmanaged(self) -> tuple[UnmanagedObject, ...]:
        """What pgevolve leaves alone, extensions the YAML does not list included (from the rows alone)."""
        if self._catalog is None and self._rows is not None:
            unmanaged = unmanaged_from_rows(self._rows.unmanaged_rows)
            columns, extension_rows = self._rows.model_rows["extensions"]
            names = [row[columns.index("name")] for row in extension_rows]
        else:
            unmanaged, names = self.catalog.unmanaged, [e.name for e in self.catalog.database.extensions]
        return unmanaged + tuple(UnmanagedObject(kind="extension", name=n, detail="not listed in pgevolve.yaml")
                                 for n in sorted(names) if n not in self._listed)


@dataclass(frozen=True, slots=True)
class Planned:
    schema_dir: Path
    target: Target
    schema: str  # the owned schema
    live: LiveCatalog
    canonical: model.Database | None  # the desired model as PostgreSQL spells it; None: equal to the catalog
    plan: Plan
    known: Compiled | None  # None on the no-op fast path, which never needed it

    @property
    def actual(self) -> model.Database:
        return self.live.catalog.database

    @property
    def desired(self) -> model.Database:
        """Canonical: as PostgreSQL spells it (on the no-op fast path, the catalog itself)."""
        return self.canonical if self.canonical is not None else self.actual

    @property
    def unmanaged(self) -> tuple[UnmanagedObject, ...]:
        return self.live.unmanaged

    @property
    def catalog_objects(self) -> dict[str, str]:
        """The catalog the plan was made against, one fingerprint per object (catalog.fingerprint):
        apply compares it with the catalog it finds once it holds the advisory lock."""
        return object_fingerprints(self.live.catalog.database, self.live.catalog.unmanaged)

    @property
    def compiled(self) -> Compiled:
        """The compiled YAML (from the cache when the fast path skipped it)."""
        return self.known if self.known is not None else compile_schema(self.schema_dir)

    def differences(self) -> tuple[Change, ...]:
        """Every difference between the database and the YAML (none when the plan is empty)."""
        from pgevolve.diff import diff

        return () if self.plan.is_empty else tuple(diff(self.actual, self.desired, self.compiled.hints))

    def save(self, path: Path) -> None:
        """Write the plan and what it was computed from (``pgevolve plan --out``)."""
        from pgevolve.apply.saved import save_plan

        save_plan(path, plan=self.plan, schema=self.desired.schema, catalog_objects=self.catalog_objects,
                  yaml_desired=self.compiled.desired, database=self.target.describe())


def compile_schema(schema_dir: Path) -> Compiled:
    """Load, validate and compile the YAML under schema_dir (cached by the files' bytes)."""
    key = _sources_key(schema_dir)
    cached = cache.load("compiled", key) if key else None
    if isinstance(cached, Compiled):
        return cached
    from pgevolve.source import compile_project, load_project

    project = load_project(schema_dir)
    desired, hints = compile_project(project)
    compiled = Compiled(desired=desired, hints=hints, schema_dir=schema_dir, loaded=project)
    if key:
        cache.store("compiled", key, compiled)
    return compiled


def _sources_key(schema_dir: Path) -> str | None:
    """A key over every YAML file's path and bytes; None when the directory cannot be read."""
    try:
        files = sorted(p for p in schema_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        parts = [f"{p.relative_to(schema_dir)}\0".encode() + p.read_bytes() for p in files]
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


def plan_against(schema_dir: Path, target: Target, *, dev_url: str | None = None,
                 timeouts: CatalogTimeouts | None = None) -> Planned:
    """Compile the YAML, read the target, normalize through the server, and plan.

    Fast path: when the YAML is unchanged since an earlier plan (its files' bytes and pgevolve's
    code) and the live catalog is one that plan found in sync (the digest of its rows), or has
    the fingerprint of the canonical desired state it recorded, the plan is empty without
    compiling, normalizing or diffing.
    """
    from pgevolve.plan.steps import Plan

    sources = _sources_key(schema_dir)
    summary = cache.load("summary", sources) if sources else None
    if isinstance(summary, dict) and "extensions" in summary:
        schema, listed = summary["schema"], frozenset(summary["extensions"])
        rows = _read_rows(target.dsn, schema, timeouts)
        if rows.digest in summary.get("in_sync", ()):
            return Planned(schema_dir=schema_dir, target=target, schema=schema, plan=Plan(), known=None,
                           live=LiveCatalog(listed=listed, rows=rows), canonical=None)
        catalog = _build(rows, target, timeouts)
        if summary.get(catalog.server_version) == _fingerprint(_listed_extensions_only(catalog.database, listed)):
            _remember_in_sync(sources, catalog)
            return Planned(schema_dir=schema_dir, target=target, schema=schema, plan=Plan(), known=None,
                           live=LiveCatalog(listed=listed, catalog=catalog), canonical=None)
    return _plan_fully(schema_dir, target, dev_url, sources, timeouts)


def _read_rows(dsn: str, schema: str, timeouts: CatalogTimeouts | None) -> CatalogRows:
    with connect(dsn) as conn:
        return read_catalog_rows(conn, schema, timeouts=timeouts, dsn=dsn)


def _build(rows: CatalogRows, target: Target, timeouts: CatalogTimeouts | None) -> Catalog:
    try:
        return rows.build()
    except KeyError:  # rows read during concurrent DDL: read again, with read_catalog's retries
        return _read(target.dsn, rows.schema, timeouts)


_IN_SYNC_KEPT = 8  # digests of catalogs found in sync with one YAML (a few databases: dev, staging, ...)


def _remember_in_sync(sources: str | None, catalog: Catalog) -> None:
    """Record that this catalog (by its rows' digest) gives an empty plan for this YAML."""
    summary = cache.load("summary", sources) if sources else None
    if not isinstance(summary, dict) or not sources or not catalog.digest:
        return
    kept = [d for d in summary.get("in_sync", ()) if d != catalog.digest][-(_IN_SYNC_KEPT - 1):]
    summary["in_sync"] = [*kept, catalog.digest]
    cache.store("summary", sources, summary)


def _fingerprint(db: model.Database) -> str:
    return cache.key_of(repr(db))


def _listed_extensions_only(db: model.Database, listed: frozenset[str]) -> model.Database:
    """The catalog as the differ sees it: extensions the YAML does not list are left alone."""
    return replace(db, extensions=tuple(e for e in db.extensions if e.name in listed))


def _compile_while_reading(schema_dir: Path, target: Target,
                           timeouts: CatalogTimeouts | None) -> tuple[Compiled, Catalog]:
    """The compiled YAML and the target's catalog, read while the YAML compiles.

    Reading the catalog is mostly waiting on the server, and compiling a large project is
    seconds of Python: the read runs in a thread meanwhile (psycopg releases the GIL while
    it waits), for the schema pgevolve.yaml names. A YAML error is still the one reported
    first; a read of a schema the compiled project does not own is done again.
    """
    guess = _owned_schema(schema_dir)
    with ThreadPoolExecutor(max_workers=1) as pool:
        early = pool.submit(_read, target.dsn, guess, timeouts) if guess else None
        compiled = compile_schema(schema_dir)
        if early is not None and guess == compiled.desired.schema:
            return compiled, early.result()
    return compiled, _read(target.dsn, compiled.desired.schema, timeouts)


def _owned_schema(schema_dir: Path) -> str | None:
    """The ``schema:`` of pgevolve.yaml, read without validation (None when it cannot be read)."""
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load((schema_dir / "pgevolve.yaml").read_bytes(), Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError):
        return None
    schema = data.get("schema") if isinstance(data, dict) else None
    return schema if isinstance(schema, str) and schema else None


def _plan_fully(schema_dir: Path, target: Target, dev_url: str | None, sources: str | None,
                timeouts: CatalogTimeouts | None) -> Planned:
    from pgevolve.diff import diff
    from pgevolve.plan.blockers import find_blockers
    from pgevolve.plan.planner import plan_changes

    compiled, catalog = _compile_while_reading(schema_dir, target, timeouts)
    actual, unmanaged, version = catalog.database, catalog.unmanaged, catalog.server_version
    setup = tuple(obj.setup for obj in unmanaged if obj.setup)
    from pgevolve.catalog.normalize import canonicalize

    canonical = canonicalize(compiled.desired, server_dsn=dev_url or target.dsn, setup=setup)
    if sources and not dev_url:
        summary = cache.load("summary", sources)
        summary = summary if isinstance(summary, dict) else {}
        summary.update({"schema": compiled.desired.schema, version: _fingerprint(canonical),
                        "extensions": sorted(e.name for e in compiled.desired.extensions)})
        cache.store("summary", sources, summary)
    changes = diff(actual, canonical, compiled.hints)
    plan = plan_changes(changes, actual, canonical)
    plan = replace(plan, blockers=find_blockers(changes, unmanaged, actual, compiled.hints))
    if plan.is_empty and not plan.blockers and sources and not dev_url:
        _remember_in_sync(sources, catalog)
    listed = frozenset(e.name for e in compiled.desired.extensions)
    return Planned(schema_dir=schema_dir, target=target, schema=compiled.desired.schema,
                   live=LiveCatalog(listed=listed, catalog=catalog), canonical=canonical, plan=plan, known=compiled)
