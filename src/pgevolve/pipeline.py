"""The pipeline end to end: YAML + live database -> plan. One call per CLI command."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgevolve import cache, model
from pgevolve.catalog import Catalog, CatalogRows, CatalogTimeouts, read_catalog, read_catalog_rows, read_stamp
from pgevolve.catalog.snapshot import read_consistently
from pgevolve.model import UnmanagedObject
from pgevolve.server.connect import Target, connect
from pgevolve.source.early import EarlyRead, sources_key

if TYPE_CHECKING:  # imported where used: `pgevolve validate` never loads the planner
    from pgevolve.catalog.normalize import EarlyScratch
    from pgevolve.changes import Change
    from pgevolve.plan.steps import Plan
    from pgevolve.source.load import ReadAhead
    from pgevolve.source.project import Project


@dataclass(frozen=True, slots=True)
class Compiled:
    desired: model.Database
    hints: model.Hints
    schema_dir: Path
    # The other owned schemas (schemas: in pgevolve.yaml), each compiled on its own.
    others: tuple[tuple[model.Database, model.Hints], ...] = ()
    # The parsed YAML, with a mark for every node: left out of the cache, where it would cost more
    # to write and read than to parse again; only `generate` and the PR comment need it.
    loaded: Project | None = field(default=None, compare=False)

    @property
    def parts(self) -> tuple[tuple[model.Database, model.Hints], ...]:
        """(desired, hints) of every owned schema, the project's first."""
        return ((self.desired, self.hints), *self.others)

    @property
    def project(self) -> Project:
        """The YAML project (parsed again when this value came from the cache)."""
        if self.loaded is not None:
            return self.loaded
        from pgevolve.source import load_project

        return load_project(self.schema_dir)

    def __getstate__(self) -> tuple[model.Database, model.Hints, Path, tuple[tuple[model.Database, model.Hints], ...]]:
        return self.desired, self.hints, self.schema_dir, self.others

    def __setstate__(self, state: tuple[model.Database, model.Hints, Path,
                                        tuple[tuple[model.Database, model.Hints], ...]]) -> None:
        for name, value in zip(("desired", "hints", "schema_dir", "others", "loaded"), (*state, None), strict=True):
            object.__setattr__(self, name, value)


class LiveCatalog:
    """The catalog a plan was made against, built into the model only when first asked for.

    A no-op plan recognised by its rows' digest or its definitions stamp (``plan_against``) needs
    no model at all unless the caller asks for one (a saved plan, the PR comment). ``others``: the catalogs of
    the other owned schemas (schemas: in pgevolve.yaml), read in full.
    """

    __slots__ = ("_catalog", "_listed", "_reader", "_rows", "_stamped", "others")

    def __init__(self, *, listed: frozenset[str], catalog: Catalog | None = None, rows: CatalogRows | None = None,
                 stamped: Stamped | None = None, reader: Callable[[], Catalog] | None = None,
                 others: tuple[Catalog, ...] = ()) -> None:
        self._catalog, self._rows, self._listed, self.others = catalog, rows, listed, others
        self._stamped, self._reader = stamped, reader

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            if self._rows is not None:
                self._catalog = self._rows.build()
            else:  # known by its stamp: read when first asked for (a saved plan, the PR comment)
                assert self._reader is not None
                self._catalog = self._reader()
        return self._catalog

    @property
    def unmanaged(self) -> tuple[UnmanagedObject, ...]:
        """What pgevolve leaves alone, extensions the YAML does not list included (from the rows alone)."""
        if self._catalog is None and self._stamped is not None:
            _, unmanaged, names = self._stamped
        elif self._catalog is None and self._rows is not None:
            unmanaged, names = self._rows.unmanaged(), _extension_names(self._rows)
        else:
            unmanaged, names = self.catalog.unmanaged, tuple(e.name for e in self.catalog.database.extensions)
        if self.others:
            unmanaged = tuple(dict.fromkeys(unmanaged + tuple(
                _named_with_schema(obj, c.database.schema) for c in self.others for obj in c.unmanaged)))
        return unmanaged + tuple(UnmanagedObject(kind="extension", name=n, detail="not listed in pgevolve.yaml")
                                 for n in sorted(names) if n not in self._listed)

    @property
    def objects(self) -> dict[str, str]:
        """The fingerprints of every owned schema's catalog; another schema's keys start with its name."""
        from pgevolve.catalog.fingerprint import schemas_fingerprints

        return schemas_fingerprints([(c.database, c.unmanaged) for c in (self.catalog, *self.others)])


def _named_with_schema(obj: UnmanagedObject, schema: str) -> UnmanagedObject:
    """Another owned schema's object, named with it (those outside every owned schema already are, once)."""
    return obj if (obj.detail or "").startswith("in schema") else replace(obj, name=f"{schema}.{obj.name}")


@dataclass(frozen=True, slots=True)
class Planned:
    schema_dir: Path
    target: Target
    schema: str  # the owned schema
    live: LiveCatalog
    canonical: model.Database | None  # the desired model as PostgreSQL spells it; None: equal to the catalog
    plan: Plan
    known: Compiled | None  # None on the no-op fast path, which never needed it
    # The other owned schemas (schemas: in pgevolve.yaml): (actual, desired) of each, as actual/desired above.
    others: tuple[tuple[model.Database, model.Database], ...] = ()
    # The first schema's catalog as diffed, when it is not the catalog's own model (the prerequisites the
    # target has set on it); None: the catalog's.
    diffed: model.Database | None = None

    @property
    def schemas(self) -> tuple[str, ...]:
        """Every owned schema: the project's first."""
        return (self.schema, *(desired.schema for _, desired in self.others))

    @property
    def actual(self) -> model.Database:
        return self.diffed if self.diffed is not None else self.live.catalog.database

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
        return self.live.objects

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

        save_plan(path, plan=self.plan, schema=self.schema, catalog_objects=self.catalog_objects,
                  yaml_desired=self.compiled.desired, database=self.target.describe(), others=self.schemas[1:])


def compile_schema(schema_dir: Path, *, key: str | None = None, ahead: ReadAhead | None = None) -> Compiled:
    """Load, validate and compile the YAML under schema_dir (cached by the files' bytes; ``key``: their
    ``sources_key``, when the caller has just made it; ``ahead``: the files being read on other cores)."""
    key = key or sources_key(schema_dir)
    cached = _cached_compile(key)
    if cached is not None:
        return cached
    from pgevolve.source import compile_project, load_project

    project = load_project(schema_dir, ahead=ahead)
    desired, hints = compile_project(project)
    compiled = Compiled(desired=desired, hints=hints, schema_dir=schema_dir, loaded=project,
                        others=tuple(_without_prerequisites(compile_project(other)) for other in project.others))
    if key and cache.batching():  # a plan: pickled at its end (a large one on another core)
        cache.store_later("compiled", key, lambda: compiled,
                          tables=len(desired.tables) + sum(len(other.tables) for other, _ in compiled.others))
    elif key:
        cache.store_meanwhile("compiled", key, compiled)
    return compiled


def _cached_compile(key: str | None) -> Compiled | None:
    cached = cache.load("compiled", key) if key else None
    return cached if isinstance(cached, Compiled) else None


def _without_prerequisites(compiled: tuple[model.Database, model.Hints]) -> tuple[model.Database, model.Hints]:
    """Another owned schema's model: the prerequisites are created once, with the project's schema."""
    return replace(compiled[0], prerequisites=()), compiled[1]


def read_database(dsn: str, schema: str) -> tuple[model.Database, tuple[UnmanagedObject, ...]]:
    """The live owned schema as a model, and the objects pgevolve does not manage."""
    catalog = _read(dsn, schema)
    return catalog.database, catalog.unmanaged


def _read(dsn: str, schema: str, timeouts: CatalogTimeouts | None = None) -> Catalog:
    """The catalog, every query in one snapshot with bounded waits."""
    with connect(dsn) as conn:
        return read_catalog(conn, schema, timeouts=timeouts)


def plan_against(schema_dir: Path, target: Target, *, dev_url: str | None = None,
                 timeouts: CatalogTimeouts | None = None, await_cache: bool = True,
                 early: EarlyRead | None = None) -> Planned:
    """Compile the YAML, read the target, normalize through the server, and plan.

    Python's cycle collector is paused meanwhile (``collector_paused``). The cache is written when this
    returns, unless ``await_cache`` is false: the caller then calls ``cache.stored()`` when it is done (the
    writes go on meanwhile in a forked child, ``cache.write_queued``). ``early``: the files' key and reading,
    started by the caller (``source.early.read_early``); closed here.

    Fast path: when the YAML is unchanged since an earlier plan (its files' bytes and pgevolve's
    code) and the live catalog is one that plan found in sync (the digest of its rows), or has
    the fingerprint of the canonical desired state it recorded, the plan is empty without
    compiling, normalizing or diffing.
    """
    with collector_paused():
        try:
            with cache.batch():
                return _plan_against(schema_dir, target, dev_url, timeouts, early)
        finally:
            if early is not None:
                early.close()
            if await_cache:
                cache.stored()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off, then back as it was (nested: the outermost turns it back on).

    A plan of a large project makes millions of small objects (YAML nodes, specs, the models) that
    live until the plan is made and hold no reference cycles worth finding early. The collector,
    run every 700 new objects, walked them again and again: some 900 collections, a tenth of a
    cold plan at 1000 tables. Reference counting still frees everything that is let go. The CLI
    keeps it paused while it prints the plan too (the text of a large plan is as many objects).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _resume_collector()


def _resume_collector() -> None:
    """The cycle collector back on, the objects made while it was paused counted as old.

    Left young, they would all be walked by the collection the next allocation sets off (the young
    generation's count kept growing meanwhile): 0.1 s at the end of a cold plan of 1000 tables, the plan
    still alive. freeze() then unfreeze() moves every tracked object into the oldest generation at no cost
    per object and resets the young count: their cycles are found by the next full collection instead.
    """
    gc.freeze()
    gc.unfreeze()
    gc.enable()


def _plan_against(schema_dir: Path, target: Target, dev_url: str | None,
                  timeouts: CatalogTimeouts | None, early: EarlyRead | None) -> Planned:
    sources = early.key if early is not None else sources_key(schema_dir)
    summary = cache.load("summary", sources) if sources else None
    # A project with prerequisites checks them on the target every time (a fingerprint of the catalog
    # does not say whether a function exists): the full path, with the canonical form from the cache.
    if isinstance(summary, dict) and "extensions" in summary and not summary.get("prerequisites"):
        from pgevolve.plan.steps import Plan  # here: a cold plan imports it once its files are being read

        schema, listed = summary["schema"], frozenset(summary["extensions"])
        stamped = _stamped(summary, target.dsn, schema, timeouts)
        if stamped is not None:
            live = LiveCatalog(listed=listed, stamped=stamped, reader=lambda: _read(target.dsn, schema, timeouts))
            return Planned(schema_dir=schema_dir, target=target, schema=schema, plan=Plan(), known=None,
                           live=live, canonical=None)
        in_sync = frozenset(summary.get("in_sync", ()))
        rows = _read_rows(target.dsn, schema, timeouts, stamp_if=lambda found: found.digest in in_sync,
                          aside=summary.get("tables", 0) >= _TABLES_WORTH_A_SECOND_CONNECTION)
        if rows.digest in in_sync:
            _remember_stamp(sources, summary, rows.stamp, rows.unmanaged(), _extension_names(rows))
            return Planned(schema_dir=schema_dir, target=target, schema=schema, plan=Plan(), known=None,
                           live=LiveCatalog(listed=listed, rows=rows), canonical=None)
        catalog = _build(rows, target, timeouts)
        if summary.get(catalog.server_version) == _fingerprint(_listed_extensions_only(catalog.database, listed)):
            _remember_in_sync(sources, catalog)
            return Planned(schema_dir=schema_dir, target=target, schema=schema, plan=Plan(), known=None,
                           live=LiveCatalog(listed=listed, catalog=catalog), canonical=None)
        return _plan_fully(schema_dir, target, dev_url, sources, timeouts, read=catalog, reading=early)
    return _plan_fully(schema_dir, target, dev_url, sources, timeouts, reading=early)


# A catalog found in sync with the YAML: its definitions stamp (queries/stamp.sql), what it leaves
# alone and its extensions' names, all read in the one snapshot.
Stamped = tuple[str, tuple[UnmanagedObject, ...], tuple[str, ...]]


def _stamped(summary: dict[str, Any], dsn: str, schema: str, timeouts: CatalogTimeouts | None) -> Stamped | None:
    """The record of an in-sync catalog whose stamp the target has now: its definitions have not changed
    since, so the plan is still empty (one cheap query instead of reading the whole catalog)."""
    records = summary.get("stamps") or ()
    if not records:
        return None
    with connect(dsn) as conn:
        stamp = read_consistently(conn, schema, lambda: read_stamp(conn), timeouts)  # bounded waits
    return next((record for record in records if record[0] == stamp), None)


def _remember_stamp(sources: str | None, summary: dict[str, Any], stamp: str,
                    unmanaged: tuple[UnmanagedObject, ...], extensions: tuple[str, ...]) -> None:
    if sources and stamp:
        cache.store("summary", sources, _with_stamp(summary, (stamp, unmanaged, extensions)))


def _with_stamp(summary: dict[str, Any], record: Stamped) -> dict[str, Any]:
    """The summary with ``record`` as its latest in-sync stamp (a few kept, as the digests)."""
    if not record[0]:
        return summary
    kept = [r for r in summary.get("stamps", ()) if r[0] != record[0]][-(_IN_SYNC_KEPT - 1):]
    return {**summary, "stamps": [*kept, record]}


def _extension_names(rows: CatalogRows) -> tuple[str, ...]:
    columns, extension_rows = rows.model_rows["extensions"]
    return tuple(row[columns.index("name")] for row in extension_rows)


# The indexes query on a second connection pays for that connection (a backend started, its caches
# filled, the snapshot exported and imported: ~15 ms of server time) only when the schema is large:
# at 1000 tables the query is ~0.3 s, at 20 a few milliseconds.
_TABLES_WORTH_A_SECOND_CONNECTION = 100


def _read_rows(dsn: str, schema: str, timeouts: CatalogTimeouts | None,
               stamp_if: Callable[[CatalogRows], bool] | None = None, *, aside: bool = True) -> CatalogRows:
    """The catalog's rows; ``aside``: the indexes query on a second connection meanwhile."""
    with connect(dsn) as conn:
        return read_catalog_rows(conn, schema, timeouts=timeouts, dsn=dsn if aside else None, stamp_if=stamp_if)


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
    extensions = tuple(e.name for e in catalog.database.extensions)
    cache.store("summary", sources, _with_stamp(summary, (catalog.stamp, catalog.unmanaged, extensions)))


def _fingerprint(db: model.Database) -> str:
    return cache.key_of(repr(db))


def _listed_extensions_only(db: model.Database, listed: frozenset[str]) -> model.Database:
    """The catalog as the differ sees it: extensions the YAML does not list are left alone."""
    return replace(db, extensions=tuple(e for e in db.extensions if e.name in listed))


def _compile_while_reading(schema_dir: Path, target: Target, sources: str | None, timeouts: CatalogTimeouts | None,
                           cached: Compiled | None, ahead: ReadAhead | None,
                           read: Catalog | None = None) -> tuple[Compiled, list[Catalog]]:
    """The compiled YAML and the catalog of each owned schema, the first read while the YAML compiles.

    Reading the catalog is mostly waiting on the server, and compiling a large project is
    seconds of Python: the read runs in a thread meanwhile (psycopg releases the GIL while
    it waits), for the schema pgevolve.yaml names. A YAML error is still the one reported
    first; a read of a schema the compiled project does not own is done again.
    ``cached``: the compiled YAML from the cache; ``ahead``: else, its files being read on other cores.
    ``read``: the catalog the fast path already read (of the schema this YAML owned when last planned),
    not read again.
    """
    guess = None if read is not None else _owned_schema(schema_dir) if sources else None
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            early = pool.submit(_read, target.dsn, guess, timeouts) if guess else None
            compiled = cached or compile_schema(schema_dir, key=sources, ahead=ahead)
            first = early.result() if early is not None and guess == compiled.desired.schema else None
            if read is not None and read.database.schema == compiled.desired.schema:
                first = read
    finally:
        if ahead is not None:
            ahead.close()
    if first is None:
        first = _read(target.dsn, compiled.desired.schema, timeouts)
    return compiled, [first, *(_read(target.dsn, desired.schema, timeouts) for desired, _ in compiled.others)]


def _read_ahead(schema_dir: Path) -> ReadAhead:
    from pgevolve.source.load import ReadAhead

    return ReadAhead(schema_dir)


def _owned_schema(schema_dir: Path) -> str | None:
    """The ``schema:`` of pgevolve.yaml, read without validation (None when it cannot be read).

    Only once ``sources_key`` has vouched for the file (a regular file inside the schema directory, within
    the size limit), and through the same bounded reader as load_project (``marked_yaml``).
    """
    from pgevolve.source.marked_yaml import load_document

    document, _ = load_document(schema_dir / "pgevolve.yaml", "pgevolve.yaml")
    schema = document.data.get("schema") if document is not None else None
    return schema if isinstance(schema, str) and schema else None


def _present_prerequisites(dsn: str, desired: model.Database) -> tuple[model.Prerequisite, ...]:
    from pgevolve.catalog.prerequisites import present_prerequisites

    with connect(dsn) as conn:
        return present_prerequisites(conn, desired.schema, desired.prerequisites)


def _plan_fully(schema_dir: Path, target: Target, dev_url: str | None, sources: str | None,
                timeouts: CatalogTimeouts | None, read: Catalog | None = None,
                reading: EarlyRead | None = None) -> Planned:
    cached = _cached_compile(sources)
    # The files are read on other cores too: fork(), so before any thread starts, and before the imports
    # this process alone needs (``_import_meanwhile``); the caller's reading when it started one.
    ahead = None if cached is not None else reading.ahead if reading is not None and reading.ahead else \
        _read_ahead(schema_dir)
    from pgevolve.catalog.normalize import Known, canonicalize_many
    from pgevolve.plan.steps import merge_plans

    # YAML not compiled before: no canonical form either, most likely; its scratch database is made meanwhile.
    with _early_scratch(dev_url or target.dsn, wanted=cached is None) as early:
        if ahead is not None:
            _import_meanwhile()
        compiled, catalogs = _compile_while_reading(schema_dir, target, sources, timeouts, cached, ahead, read)
        parts = compiled.parts
        setup = tuple(obj.setup for catalog in catalogs for obj in catalog.unmanaged if obj.setup)
        known = Known(sources=sources, server_version=None if dev_url else catalogs[0].server_version, scratch=early)
        canonicals = canonicalize_many(tuple(desired for desired, _ in parts), server_dsn=dev_url or target.dsn,
                                       setup=setup, known=known)
    actuals = [catalog.database for catalog in catalogs]
    prerequisites = compiled.desired.prerequisites
    if prerequisites:
        # The catalog reader does not model them: the desired ones are set on both sides, the target's
        # being those it already has, so the differ creates the missing ones and nothing else.
        canonicals = (replace(canonicals[0], prerequisites=prerequisites), *canonicals[1:])
        actuals[0] = replace(actuals[0], prerequisites=_present_prerequisites(target.dsn, canonicals[0]))
    # The fast path (plan_against) serves a project of one schema without prerequisites.
    remember = bool(sources) and not dev_url and not compiled.others
    if remember:
        assert sources is not None
        _remember_summary(sources, compiled.desired, catalogs[0].server_version, canonicals[0])
    # Every thread has ended (the catalog's reader, the scratch database's): the cache is written by a forked
    # child from now on, while this process plans.
    cache.write_queued()
    plans = [_plan_part(actual, canonical, hints, catalog.unmanaged)
             for actual, canonical, (_, hints), catalog in zip(actuals, canonicals, parts, catalogs, strict=True)]
    plan = plans[0] if len(plans) == 1 else merge_plans(
        [(None if i == 0 else canonicals[i].schema, p) for i, p in enumerate(plans)])
    if remember and not prerequisites and plan.is_empty and not plan.blockers:
        cache.stored()  # the summary it adds to
        _remember_in_sync(sources, catalogs[0])
    listed = frozenset(e.name for e in compiled.desired.extensions)
    return Planned(schema_dir=schema_dir, target=target, schema=compiled.desired.schema,
                   live=LiveCatalog(listed=listed, catalog=catalogs[0], others=tuple(catalogs[1:])),
                   canonical=canonicals[0], plan=plan, known=compiled,
                   others=tuple(zip(actuals[1:], canonicals[1:], strict=True)),
                   diffed=actuals[0] if prerequisites else None)


def _remember_summary(sources: str, desired: model.Database, server_version: int,
                      canonical: model.Database) -> None:
    """Record what the fast path needs of this YAML: its schema, extensions and prerequisites, and the
    fingerprint of its canonical form on this server version (a repr of the whole model: made where the cache
    is written, ``cache.store_later``)."""
    summary = cache.load("summary", sources)
    summary = summary if isinstance(summary, dict) else {}
    summary.update({"schema": desired.schema, "prerequisites": bool(desired.prerequisites),
                    "extensions": sorted(e.name for e in desired.extensions), "tables": len(desired.tables)})
    cache.store_later("summary", sources, lambda: {**summary, server_version: _fingerprint(canonical)})


def _import_meanwhile() -> None:
    """Import now what this process needs once the YAML is read: a child forked to read the files takes
    more of them meanwhile (they are shared through a queue), so that these imports cost half their time."""
    for name in _IMPORTED_MEANWHILE:
        importlib.import_module(name)


_IMPORTED_MEANWHILE = ("pgevolve.source.semantic", "pgevolve.sqltext.prerequisites", "pgevolve.source.compile",
                       "pgevolve.catalog.probes", "pgevolve.diff", "pgevolve.plan.planner", "pgevolve.plan.blockers",
                       "pgevolve.plan.render")


@contextmanager
def _early_scratch(server_dsn: str, *, wanted: bool) -> Iterator[EarlyScratch | None]:
    """A scratch database created on a thread from now on (``normalize.EarlyScratch``), dropped at the end
    unless normalization took it; None when not ``wanted``."""
    if not wanted:
        yield None
        return
    from pgevolve.catalog.normalize import EarlyScratch

    early = EarlyScratch(server_dsn)
    try:
        yield early
    finally:
        early.close()


def _plan_part(actual: model.Database, desired: model.Database, hints: model.Hints,
               unmanaged: tuple[UnmanagedObject, ...]) -> Plan:
    """The plan of one owned schema."""
    from pgevolve.diff import diff_and_match
    from pgevolve.plan.blockers import find_blockers
    from pgevolve.plan.planner import plan_changes

    changes, matched = diff_and_match(actual, desired, hints)
    plan = plan_changes(changes, actual, matched)
    return replace(plan, blockers=find_blockers(changes, unmanaged, actual, hints))
