"""The pull-request comment: what changes for the data, then the risk sized by the live tables, then the SQL.

Written for the product manager who opened the pull request first, and for the
DBA who reviews it second: a one-field change gives a comment of a few lines,
with the SQL folded away.
"""

from __future__ import annotations

from typing import Any

from pgevolve.errors import printable
from pgevolve.plan.render import grouping_lines, render_sql, summary_line
from pgevolve.plan.steps import Hazard, Plan
from pgevolve.review.risk import ChangeSteps, effects, is_empty, rows_text, what
from pgevolve.review.terms import c

TITLE = "### pgevolve plan"


def render_comment(*, plan: Plan, data_lines: list[str] | None, traced: list[ChangeSteps], sizes: dict[str, Any],
                   schema: str, base: str | None, notes: list[str]) -> str:
    """Markdown for a PR comment. ``data_lines`` None: no base to compare the YAML with (the plan's changes)."""
    parts = [TITLE, ""]
    parts += _data_section(plan, data_lines, traced, base)
    parts += _risk_section(plan, traced, sizes)
    if not plan.is_empty:
        parts += _sql_section(plan, schema)
    parts += [f"_{printable(note, keep='')}_" for note in notes]
    # Names reach every part: whatever one holds, no escape sequence reaches the reader.
    return printable("\n".join(parts).rstrip("\n") + "\n", keep="\n\t")


def _data_section(plan: Plan, data_lines: list[str] | None, traced: list[ChangeSteps], base: str | None) -> list[str]:
    if data_lines is None:
        lines = list(dict.fromkeys(f"- {printable(_sentence(what(item.change)), keep='')}" for item in traced))
        heading = "**What changes** (the database against the YAML)"
    else:
        lines = [f"- {printable(line, keep='')}" for line in data_lines]
        heading = f"**What changes for the data** (the YAML against {c(base or '')})"
    if not lines:
        if plan.is_empty:
            return ["No changes: the database already matches the YAML.", ""]
        lines = ["- (no change in the YAML: the database differs from it; see the SQL below)"]
    result = [heading, "", *lines, ""]
    if plan.is_empty:
        result += ["**No DDL**: the database already matches. PostgreSQL needs no change; the generated JSON Schemas "
                   "and data dictionary (`pgevolve generate`) carry it to the application.", ""]
    return result


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _risk_section(plan: Plan, traced: list[ChangeSteps], sizes: dict[str, Any]) -> list[str]:
    if plan.is_empty:
        return []
    lines = [f"> [!CAUTION]\n> **Blocked**: {printable(text, keep='')}. `apply` refuses this plan."
             for text in plan.blockers]
    lines += _warnings(plan, traced, sizes)
    by_table: dict[str, list[ChangeSteps]] = {}
    new_tables = []
    for item in traced:
        if item.table is None:
            continue
        if item.new_table:
            new_tables.append(item.table)
            continue
        by_table.setdefault(item.table, []).append(item)
    for table in sorted(by_table):
        found = effects(by_table[table], empty=is_empty(sizes.get(table)))
        doing = "; ".join(found) if found else "catalog-only changes, instant (a brief lock, no scan)"
        doing = printable(doing, keep="")
        lines.append(f"- {c(table)} ({rows_text(sizes.get(table))}): {doing}.")
    if new_tables:
        names = ", ".join(c(t) for t in sorted(set(new_tables)))
        lines.append(f"- New, empty: {names}: no existing row is touched.")
    return ["**Risk**", "", *lines, ""]


def _warnings(plan: Plan, traced: list[ChangeSteps], sizes: dict[str, Any]) -> list[str]:
    failing = sum(len(item.can_fail_on_rows) for item in traced if not is_empty(sizes.get(item.table or "")))
    destructive = sum(1 for s in plan.steps if s.hazard is Hazard.DESTRUCTIVE)
    lines = []
    if failing:
        lines.append(f"{failing} step{'s' * (failing != 1)} can fail on existing rows: `apply` counts the offending "
                     "rows first and changes nothing if there are any.")
    weakens = sum(1 for s in plan.steps if s.hazard is Hazard.WEAKENS)
    if weakens:
        lines.append(f"{weakens} step{'s' * (weakens != 1)} drop{'s' * (weakens == 1)} an index or constraint that "
                     "only the database has (`weakens`): refused unless applied with `--allow-destructive`.")
    if destructive:
        lines.append(f"{destructive} step{'s' * (destructive != 1)} delete{'s' * (destructive == 1)} data: refused "
                     "unless applied with `--allow-destructive`.")
    if not lines:
        return []
    kind = "CAUTION" if destructive or weakens else "WARNING"
    return [f"> [!{kind}]", *(f"> {line}" for line in lines), ""]


def _sql_section(plan: Plan, schema: str) -> list[str]:
    runs = " ".join(grouping_lines(plan.groups()))
    sql = render_sql(plan, search_path=schema, display=True)  # names with control characters shown escaped
    fence = "```" if "```" not in sql else "~~~~"
    return ["<details>", f"<summary>SQL: {summary_line(plan)}</summary>", "", runs, "",
            f"{fence}sql", sql.rstrip("\n"), fence, "", "</details>", ""]
