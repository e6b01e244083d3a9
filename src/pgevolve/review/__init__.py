"""The pull-request comment (`plan --format markdown [--base REF]`): for the product manager, then the DBA.

- ``yaml_changes``/``shape_changes``: the YAML at REF against the working tree, in the product's terms,
  including changes that need no DDL;
- ``risk``: each step traced to its change, sized by the live table (rows, bytes);
- ``comment``: the Markdown.
"""

from __future__ import annotations

from typing import Any

from pgevolve.errors import SpecError

__all__ = ["render_pr_comment"]


def render_pr_comment(planned: Any, *, base: str | None = None) -> str:
    """Markdown for a pull request: what changes for the data, the risk by table, the SQL folded."""
    from pgevolve.catalog.sizes import table_sizes
    from pgevolve.diff import diff
    from pgevolve.review.comment import render_comment
    from pgevolve.review.risk import trace
    from pgevolve.server.connect import connect

    notes: list[str] = []
    data_lines = _data_lines(planned, base, notes) if base is not None else None
    traced = []
    sizes: dict[str, Any] = {}
    if not planned.plan.is_empty:
        changes = diff(planned.actual, planned.desired, planned.compiled.hints)
        traced = trace(changes, planned.actual, planned.desired)
        existing = {item.table for item in traced if item.table and not item.new_table}
        if existing:
            with connect(planned.target.dsn) as conn:
                sizes = table_sizes(conn, planned.desired.schema, existing)
    return render_comment(plan=planned.plan, data_lines=data_lines, traced=traced, sizes=sizes,
                          schema=planned.desired.schema, base=base, notes=notes)


def _data_lines(planned: Any, base: str, notes: list[str]) -> list[str] | None:
    """The YAML changes since ``base``; None when the base YAML does not load (the plan's changes are shown)."""
    from pgevolve.review.git import schema_at
    from pgevolve.review.yaml_changes import data_changes
    from pgevolve.source import load_project

    head = planned.compiled.project
    with schema_at(base, planned.schema_dir) as directory:
        if directory is None:
            notes.append(f"{planned.schema_dir} does not exist at {base}: every table is new.")
            return data_changes(None, head)
        try:
            old = load_project(directory)
        except SpecError as exc:
            notes.append(f"The YAML at {base} does not load ({len(exc.problems)} problem(s)); the changes are "
                         "listed from the plan only.")
            return None
    return data_changes(old, head)
