"""Progress of apply on a terminal: a line per step, a bar for long index builds.

PostgreSQL reports the phase and the blocks/tuples done of a running CREATE
INDEX in pg_stat_progress_create_index; a watcher thread polls it on its own
connection while the concurrent build runs on the apply's connection.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType

import psycopg
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from pgevolve.apply.backfill import BatchProgress
from pgevolve.plan.steps import Step

_POLL_SECONDS = 0.5
_INDEX_PROGRESS = """
SELECT p.phase,
       CASE WHEN p.blocks_total > 0 THEN p.blocks_total ELSE p.tuples_total END,
       CASE WHEN p.blocks_total > 0 THEN p.blocks_done ELSE p.tuples_done END
FROM pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY p.pid LIMIT 1
"""


class StepReporter:
    """Context manager; ``step`` is the on_step callback of apply."""

    def __init__(self, dsn: str, total: int) -> None:
        self.dsn = dsn
        self.total = total
        self.console = Console(stderr=True)
        self.interactive = sys.stderr.isatty()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_line = 0.0
        self._last_summary: str | None = None

    def __enter__(self) -> StepReporter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._finish_watch()

    def step(self, number: int, step: Step) -> None:
        """Called before each step runs."""
        self._finish_watch()
        # A change has several steps (a table, then its comments and indexes): its summary heads
        # them once, and each line says what that statement does.
        if step.summary != self._last_summary:
            self._last_summary = step.summary
            self.console.print(step.summary, highlight=False)
        action = step.kind.value.replace("_", " ")
        self.console.print(f"  [{number}/{self.total}] {action} {step.object} ({step.hazard.value})", highlight=False)
        if self.interactive and step.kind == "create_index_concurrently":
            self._stop.clear()
            self._watcher = threading.Thread(target=self._watch_index, daemon=True)
            self._watcher.start()

    def batch(self, step: Step, progress: BatchProgress) -> None:
        """Called after each batch of a backfill: a bar on a terminal, a line every few seconds otherwise."""
        if progress.resumed and self._task is None:
            self.console.print(f"  resuming {progress.target}: {progress.batches - 1} batches were already "
                               "done by an earlier run", highlight=False)
        if self.interactive:
            if self._bar is None:
                self._bar = Progress(TextColumn("  {task.description}"), BarColumn(),
                                     TextColumn("{task.completed:,.0f} rows"), TimeElapsedColumn(),
                                     console=self.console, transient=True)
                self._bar.start()
                self._task = self._bar.add_task("backfill", total=progress.estimate or None)
            assert self._task is not None
            self._bar.update(self._task, completed=progress.rows,
                             description=f"backfill, batch {progress.batches}")
        else:
            self._task = self._task or TaskID(0)  # marks the backfill as started (for "resuming")
            now = time.monotonic()
            if progress.done or now - self._last_line >= 5:
                self._last_line = now
                self.console.print(f"  {progress.target}: batch {progress.batches}, {progress.rows:,} rows"
                                   + (" (done)" if progress.done else ""), highlight=False)
        if progress.done:
            self._end_bar()

    def _end_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar, self._task = None, None

    def _finish_watch(self) -> None:
        self._end_bar()
        if self._watcher is not None:
            self._stop.set()
            self._watcher.join(timeout=2)
            self._watcher = None

    def _watch_index(self) -> None:
        columns = (TextColumn("  {task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn())
        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn, \
                    Progress(*columns, console=self.console, transient=True) as bar:
                task = bar.add_task("building index", total=None)
                while not self._stop.wait(_POLL_SECONDS):
                    row = conn.execute(_INDEX_PROGRESS).fetchone()
                    if row:
                        phase, total, done = row
                        bar.update(task, description=str(phase), total=total or None, completed=done or 0)
        except psycopg.Error:
            return  # progress is a nicety: never let it disturb the apply
