"""Terminal rendering for the CLI (rich): live per-source progress and summary tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from desktop_audit.models import FindingRecord, ScanRecord, Status
from desktop_audit.progress import ProgressEvent
from desktop_audit.report.scan_json import display_path

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


class LiveProgress:
    """A rich progress display with one row per source; a no-op when disabled."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self._enabled = enabled
        self._tasks: dict[str, TaskID] = {}
        self._last = 0.0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[source]:<9}"),
            BarColumn(bar_width=24),
            TextColumn("{task.completed:>7.0f} items"),
            TextColumn("{task.fields[hits]:>4} hits"),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[current]}", justify="left"),
            console=console,
            transient=False,
        )

    def __enter__(self) -> LiveProgress:
        if self._enabled:
            self._progress.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._enabled:
            self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if not self._enabled:
            return
        task = self._tasks.get(event.source)
        if task is None:
            task = self._progress.add_task(
                event.source, total=event.total, source=event.source, hits=0, current=""
            )
            self._tasks[event.source] = task
        if event.finished:
            total = self._progress.tasks[task].completed or 1
            self._progress.update(task, total=total, completed=total, hits=event.hits, current="")
            return
        now = time.monotonic()
        if now - self._last < 0.05:
            return
        self._last = now
        current = event.current[-48:]
        self._progress.update(task, completed=event.done, total=event.total, current=current)


def findings_table(findings: Sequence[FindingRecord], home: str | None) -> Table:
    """Findings as a table: severity, status, provider, preview, first location, id."""
    table = Table(show_lines=False, header_style="bold", expand=False)
    # Severity, status and id never wrap (an id cut in two cannot be copied); the title, the
    # preview and the place fold in what a narrow terminal leaves.
    for column in ("severity", "status", "what", "redacted", "where", "id"):
        long = column in ("what", "redacted", "where")
        table.add_column(
            column,
            overflow="fold",
            no_wrap=not long,
            ratio=2 if column in ("what", "where") else 1 if long else None,
        )
    for finding in findings:
        present = [r for r in finding.locations if r.present] or list(finding.locations)
        where = ""
        if present:
            loc = present[0].location
            where = display_path(loc.path, home) or loc.keychain_item or ""
            if loc.line:
                where += f":{loc.line}"
            if loc.ref:
                where += f" ({loc.ref})"
            if len(present) > 1:
                where += f" +{len(present) - 1} more"
        status = str(finding.status) + ("" if finding.present else " (no copy left)")
        table.add_row(
            f"[{SEVERITY_STYLE[finding.severity]}]{finding.severity}[/]",
            status,
            finding.title,
            finding.redacted,
            where,
            finding.id[:12],
        )
    return table


def scan_summary(scan: ScanRecord, findings: Sequence[FindingRecord]) -> Table:
    """A short summary: status, coverage counters, findings by severity, errors."""
    table = Table(title=f"Scan {scan.id}", show_header=False, expand=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    table.add_row("status", str(scan.status))
    table.add_row("home", scan.home)
    for source, counters in sorted(scan.stats.items()):
        table.add_row(source, ", ".join(f"{k} {v}" for k, v in sorted(counters.items())))
    by_severity: dict[str, int] = {}
    for finding in findings:
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    sev = ", ".join(f"{k} {v}" for k, v in by_severity.items()) or "none"
    table.add_row("findings", f"{len(findings)} ({sev})")
    open_count = sum(1 for f in findings if f.status is Status.OPEN)
    table.add_row("open", str(open_count))
    table.add_row("problems", str(len(scan.errors)))
    return table
