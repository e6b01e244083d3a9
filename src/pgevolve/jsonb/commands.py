"""`pgevolve usage` and `pgevolve promote` as plain functions: arguments in, (text, exit code) out.

cli.py wires them to Typer; every failure is a PgevolveError for its error
handler (bad target, unknown table, no database, a YAML layout that cannot be
edited safely).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import psycopg
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pgevolve.errors import ConnectionFailed, ExecutionFailed, ExitCode
from pgevolve.jsonb.promote_yaml import PromoteEdit, PromoteError, promote_in_yaml
from pgevolve.jsonb.usage import UsageError, collect_usage, render_usage
from pgevolve.jsonb.usage.infer import InferredType, infer_key_type
from pgevolve.jsonb.usage.render import progress_bar
from pgevolve.server.connect import Target, connect, resolve_target
from pgevolve.server.diagnostics import explain

_DEFAULT_WIDTH = 120


def owned_schema(schema_dir: Path) -> str:
    """The PostgreSQL schema the project owns (`schema:` of schema/pgevolve.yaml), else public."""
    path = schema_dir / "pgevolve.yaml"
    if not path.is_file():
        return "public"
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError:
        return "public"
    schema = data.get("schema") if isinstance(data, dict) else None
    return schema if isinstance(schema, str) and schema else "public"


def parse_usage_target(target: str | None) -> tuple[str | None, str | None]:
    """'leads' -> (leads, None); 'leads.custom_fields' -> (leads, custom_fields); None -> every table."""
    if not target:
        return None, None
    table, _, column = target.partition(".")
    if not table or "." in column:
        raise UsageError(f"expected TABLE or TABLE.COLUMN, got {target!r}")
    return table, column or None


def usage_command(target: str | None = None, *, database_url: str | None = None, sample: float | None = None,
                  fmt: str = "text", schema_dir: Path = Path("schema"), schema: str | None = None,
                  show_progress: bool | None = None, resolved: Target | None = None) -> tuple[str, int]:
    """Report the keys of the JSONB columns, the evidence of filtering, and advice: exit 0."""
    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, got {fmt!r}")
    table, column = parse_usage_target(target)
    resolved = resolved or resolve_target(database_url)
    with connect(resolved.dsn, application_name="pgevolve usage") as conn, \
            progress_bar(enabled=show_progress) as progress:
        if resolved.is_local_server:
            _collect_statements_locally(conn)
        try:
            report = collect_usage(conn, schema or owned_schema(schema_dir), table, column,
                                   sample_percent=sample, progress=progress)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ExecutionFailed(explain(exc, doing="reading the JSONB columns", role=conn.info.user)
                                  + " (usage reads the tables: GRANT SELECT on them)") from None
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size((_DEFAULT_WIDTH, 24)).columns if terminal else _DEFAULT_WIDTH
    return render_usage(report, "json" if fmt == "json" else "text", color=terminal and fmt == "text",
                        width=width), ExitCode.OK


def _collect_statements_locally(conn: psycopg.Connection) -> None:
    """On pgevolve's own local server, pg_stat_statements is preloaded: create its view in this database."""
    preloaded = conn.execute("SELECT 'pg_stat_statements' = ANY (string_to_array("
                             "current_setting('shared_preload_libraries'), ', '))").fetchone()
    available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'").fetchone()
    if preloaded and preloaded[0] and available:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def parse_promote_target(target: str) -> tuple[str, str, str]:
    """'leads.custom_fields.referral_source' -> (leads, custom_fields, referral_source)."""
    parts = target.split(".", 2)
    if len(parts) != 3 or not all(parts):
        raise PromoteError(f"expected TABLE.COLUMN.KEY (e.g. leads.custom_fields.referral_source), got {target!r}")
    table, column, key = parts
    return table, column, key


def promote_command(target: str, *, name: str | None = None, sql_type: str | None = None, index: bool = False,
                    drop_key: bool = False, schema_dir: Path = Path("schema"),
                    database_url: str | None = None, dry_run: bool = False) -> tuple[str, int]:
    """Add the promoted column to the table's YAML file; the type comes from --type, the database, or the shape."""
    table, column, key = parse_promote_target(target)
    notes: list[str] = []
    inferred = None
    if sql_type is None:
        inferred = _infer(database_url, owned_schema(schema_dir), table, column, key, notes)
    edit = promote_in_yaml(schema_dir, table, column, key, name=name,
                           sql_type=inferred.sql_type if inferred else sql_type, index=index, drop_key=drop_key,
                           type_source=inferred.reason if inferred else None, dry_run=dry_run)
    return _promote_text(edit, key, notes), ExitCode.OK


def _infer(database_url: str | None, schema: str, table: str, column: str, key: str,
           notes: list[str]) -> InferredType | None:
    """The key's type in the database (the local server when none is named); None (and a note) otherwise."""
    try:
        resolved = resolve_target(database_url)
    except ConnectionFailed as exc:
        notes.append(f"note: type not read from a database ({exc}); pass --type to choose it")
        return None
    with connect(resolved.dsn, application_name="pgevolve promote") as conn:
        try:
            inferred = infer_key_type(conn, schema, table, column, key)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            notes.append(f"note: type not read from {resolved.describe()} ({first}); pass --type to choose it")
            return None
    if inferred.values == 0:
        notes.append(f"note: {table}.{column} holds no '{key}' in {resolved.describe()} yet; "
                     "pass --type to choose the type")
        return None
    return inferred


def _promote_text(edit: PromoteEdit, key: str, notes: list[str]) -> str:
    source_column = edit.promoted_from.split(".", 1)[0]
    lines = [edit.diff.rstrip("\n"), ""] if edit.diff else []
    verb = "would add" if not edit.written else "added"
    lines.append(f"{edit.file}: {verb} column {edit.column} ({edit.sql_type}, type from {edit.type_source}), "
                 f"promoted from {edit.promoted_from}")
    if edit.index_added:
        lines.append(f"{edit.file}: {verb} an index on {edit.column}")
    if edit.index_existed:
        lines.append(f"{edit.file}: an index on {edit.column} is already declared")
    lines += notes
    steps = f"add the column, backfill it from {source_column}->>'{key}' in batches"
    if edit.index_added or edit.index_existed:
        steps += ", build the index concurrently"
    if edit.drop_key:
        steps += f", then remove '{key}' from {source_column}"
    lines.append(f"Next: `pgevolve generate` (generated/ is stale until then, and `generate --check` fails in CI); "
                 f"`pgevolve plan` shows the steps ({steps}); review them, then `pgevolve apply`.")
    return "\n".join(lines) + "\n"
