"""A plan as text (terminal), SQL (psql script), JSON (tools) and Markdown (pull-request comment).

Names come from YAML files and from the catalog, and may hold any character. The SQL
script keeps every statement exact, and its comments one line each (``comment_text``);
the terminal and Markdown forms show control characters escaped (``printable``,
``display_sql``), so a name can neither draw a line that is not in the plan nor send an
escape sequence to the reader's terminal.
"""

from __future__ import annotations

import io
import json

from pgevolve.errors import printable
from pgevolve.plan.steps import LOCK_TIMEOUT, MAX_RELATIONS_PER_TRANSACTION, Group, Hazard, Plan, Step, highest
from pgevolve.sqltext.ident import quote_ident

NO_CHANGES = "No changes."
HAZARD_STYLE = {
    Hazard.SAFE: "green",
    Hazard.LOCKS: "yellow",
    Hazard.REWRITE: "magenta",
    Hazard.DATA: "bold yellow",
    Hazard.WEAKENS: "red",
    Hazard.DESTRUCTIVE: "bold red",
}


def summary_line(plan: Plan) -> str:
    """"5 steps: 3 safe, 1 data, 1 destructive"."""
    counts = ", ".join(f"{n} {hazard.value}" for hazard, n in plan.counts().items())
    noun = "step" if len(plan.steps) == 1 else "steps"
    return f"{len(plan.steps)} {noun}: {counts}"


def grouping_lines(groups: tuple[Group, ...]) -> list[str]:
    """How the plan runs: how many transactions, how many statements outside one, lock_timeout."""
    transactions = sum(1 for g in groups if g.transactional)
    outside = sum(1 for g in groups if not g.transactional)
    text = f"Runs as {transactions} transaction{'s' * (transactions != 1)}"
    if outside:
        batched = any(s.batch is not None for g in groups if not g.transactional for s in g.steps)
        what = "CONCURRENTLY, and backfills in batches of their own" if batched else "CONCURRENTLY"
        text += f" and {outside} statement{'s' * (outside != 1)} outside a transaction ({what})"
    lines = [f"{text}; each statement waits at most {LOCK_TIMEOUT} for a lock."]
    if transactions > 1:
        lines.append("Each transaction is all-or-nothing, the plan as a whole is not "
                     f"(batches of at most {MAX_RELATIONS_PER_TRANSACTION} relations; VALIDATE alone).")
    return lines


def blocker_lines(plan: Plan) -> list[str]:
    """What stands in the way of the plan, first: apply refuses a blocked plan."""
    if not plan.blockers:
        return []
    lines = [f"BLOCKED: {printable(text, keep='')}." for text in plan.blockers]
    return [*lines, "apply refuses this plan (exit 3) while they stand in the way; it changes nothing.", ""]


# -- text -------------------------------------------------------------------------------------

Segment = tuple[str, str | None]  # text, rich style


def render_text(plan: Plan, *, color: bool) -> str:
    """For the terminal: numbered steps by transaction, hazard labels, the reason under each."""
    if plan.is_empty:
        return NO_CHANGES + "\n"
    groups = plan.groups()
    lines: list[list[Segment]] = [[(line, "bold red")] for line in blocker_lines(plan)]
    plain: list[list[Segment]] = [[(line, None)] for line in grouping_lines(groups)]
    lines += [*plain, []]
    number, transaction, width = 0, 0, len(str(len(plan.steps)))
    for group in groups:
        transaction += group.transactional
        lines.append([(f"Transaction {transaction}" if group.transactional else "Outside a transaction", "bold")])
        for step in group.steps:
            number += 1
            lines += _step_lines(f"{number:>{width}}", step, color=color)
        lines.append([])
    lines.append([(summary_line(plan), "bold")])
    return _to_terminal(lines) if color else "".join(["".join([t for t, _ in line]) + "\n" for line in lines])


def _step_lines(number: str, step: Step, *, color: bool) -> list[list[Segment]]:
    indent = " " * (len(number) + 4)
    from pgevolve.sqltext.fragments import display_sql  # pglast: not imported for an empty plan

    head: list[Segment] = [(f"  {number}. ", None), (f"[{step.hazard.value}]", HAZARD_STYLE[step.hazard]),
                           (f" {printable(step.summary, keep='')}", None)]
    shown = display_sql(f"{step.sql};")
    # Without colour, the statement's lines are one segment (the same text, one object instead of one per line).
    sql: list[list[Segment]] = ([[(indent + line, "cyan")] for line in shown.split("\n")] if color
                                else [[(indent + shown.replace("\n", "\n" + indent), None)]])
    return [head, *sql, [(indent + printable(step.reason, keep=""), "dim")]]


def _to_terminal(lines: list[list[Segment]]) -> str:
    # rich only for a terminal: its import is a tenth of a second that a plan piped or run in CI never uses.
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=10_000, highlight=False)
    for line in lines:
        text = Text(no_wrap=True)
        for part, style in line:
            text.append(part, style=style or "")
        console.print(text, soft_wrap=True)
    return buffer.getvalue()


# -- SQL --------------------------------------------------------------------------------------

def render_sql(plan: Plan, *, search_path: str | None = None, display: bool = False) -> str:
    """A script for ``psql -v ON_ERROR_STOP=1 -f``: transactions where allowed, CONCURRENTLY outside.

    ``search_path``: the owned schema. Defaults, CHECKs and index expressions are written as
    PostgreSQL prints them under that search_path (unqualified names in it), so the script
    sets it rather than depend on the session that runs it. ``display``: for reading (a
    pull-request comment), control characters inside names shown escaped.
    """
    if plan.is_empty:
        return f"-- {NO_CHANGES}\n"
    from pgevolve.sqltext.fragments import comment_text

    groups = plan.groups()
    comments = [f"pgevolve plan: {summary_line(plan)}", *blocker_lines(plan)[:-1], *grouping_lines(groups)]
    header = "".join(f"-- {comment_text(line)}\n" for line in comments)
    settings = f"SET lock_timeout = '{LOCK_TIMEOUT}';\n"
    if search_path is not None:
        settings += f"SET search_path = {quote_ident(search_path)};\n"
    parts = [header + settings]
    current = search_path
    for group in groups:
        body = ""
        for step in group.steps:
            wanted = step.schema or search_path
            if wanted is not None and wanted != current:  # a step of another owned schema: its search_path
                body += f"SET search_path = {quote_ident(wanted)};\n"
                current = wanted
            body += _sql_step(step, display)
        parts.append(f"BEGIN;\n{body}COMMIT;\n" if group.transactional else body)
    return "\n".join(parts)


def _sql_step(step: Step, display: bool) -> str:
    from pgevolve.sqltext.fragments import comment_text, display_sql

    reason = comment_text(" ".join(step.reason.split()))
    sql = display_sql(step.sql) if display else step.sql
    return f"-- [{step.hazard.value}] {reason}\n{sql};\n"


# -- JSON -------------------------------------------------------------------------------------

def render_json(plan: Plan) -> str:
    """Stable JSON for tools: ``Plan.from_dict(json.loads(text))`` gives the plan back."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


# -- Markdown ---------------------------------------------------------------------------------

def render_markdown(plan: Plan, *, search_path: str | None = None) -> str:
    """A pull-request comment: plain words first, a warning when needed, then the SQL and the hazards."""
    if plan.is_empty:
        return "### pgevolve plan\n\nNo changes: the database already matches the schema.\n"
    parts = [f"### pgevolve plan\n\n**{summary_line(plan)}**\n", _change_list(plan)]
    warning = _warning(plan)
    if warning:
        parts.append(warning)
    parts.append(f"```sql\n{render_sql(plan, search_path=search_path, display=True)}```\n")
    parts.append(_hazard_table(plan))
    return "\n".join(parts)


def _change_list(plan: Plan) -> str:
    """One bullet per change, with its most severe hazard."""
    hazards: dict[str, list[Hazard]] = {}
    for step in plan.steps:
        hazards.setdefault(step.summary, []).append(step.hazard)
    return "".join(f"- {printable(summary, keep='')} ({highest(found).value})\n" for summary, found in hazards.items())


def _warning(plan: Plan) -> str | None:
    counts = plan.counts()
    lines = [f"Blocked: {printable(text, keep='')}." for text in plan.blockers]
    if counts.get(Hazard.DATA):
        n = counts[Hazard.DATA]
        lines.append(f"{n} step{'s' * (n != 1)} can fail on existing rows (`data`): the apply stops there.")
    if counts.get(Hazard.WEAKENS):
        n = counts[Hazard.WEAKENS]
        lines.append(f"{n} step{'s' * (n != 1)} drop{'s' * (n == 1)} an index or constraint that only the database "
                     "has (`weakens`): refused unless applied with `--allow-destructive`.")
    if counts.get(Hazard.DESTRUCTIVE):
        n = counts[Hazard.DESTRUCTIVE]
        lines.append(f"{n} step{'s' * (n != 1)} delete{'s' * (n == 1)} data (`destructive`): "
                     "refused unless applied with `--allow-destructive`.")
    if not lines:
        return None
    kind = "CAUTION" if any(h.needs_consent for h in counts) or plan.blockers else "WARNING"
    return f"> [!{kind}]\n" + "".join(f"> {line}\n" for line in lines)


def _cell(text: str) -> str:
    return printable(" ".join(text.split()), keep="").replace("|", "\\|")


def _hazard_table(plan: Plan) -> str:
    rows = ["| # | Hazard | Statement | Why |", "|---|---|---|---|"]
    for number, step in enumerate(plan.steps, 1):
        what = f"`{step.kind}` {_cell(step.object)}"
        rows.append(f"| {number} | {step.hazard.value} | {what} | {_cell(step.reason)} |")
    return "\n".join(rows) + "\n"
