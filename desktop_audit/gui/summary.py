"""Plain summaries of the database for the Overview and Report pages (no widgets here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop_audit.app.service import AuditService
from desktop_audit.models import ScanRecord, Severity, Status
from desktop_audit.profile import Profile


@dataclass(frozen=True, slots=True)
class NextAction:
    """The one thing to do next, with the page that does it."""

    text: str
    detail: str
    button: str
    page: str
    severities: tuple[Severity, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditSummary:
    """Everything the Overview shows, read in one go."""

    scans: int
    total: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    open_by_severity: dict[str, int]
    by_source: dict[str, int]
    last_scan: ScanRecord | None
    checklist_done: int
    checklist_total: int

    @property
    def open(self) -> int:
        return self.by_status.get(Status.OPEN, 0)

    @property
    def next_action(self) -> NextAction:
        if self.scans == 0:
            return NextAction(
                "Run your first scan",
                "Nothing has been checked on this machine yet. A scan reads your files, dotfiles,"
                " shell history, git history and keychain, and keeps the results here.",
                "Go to Scan",
                "scan",
            )
        for severity in (Severity.CRITICAL, Severity.HIGH):
            count = self.open_by_severity.get(severity, 0)
            if count:
                noun = "finding" if count == 1 else "findings"
                return NextAction(
                    f"{count:,} {severity} {noun} to revoke",
                    "Revoke each one at its provider, mark it revoked here, then rescan to"
                    " confirm no copy is left.",
                    "Review findings",
                    "findings",
                    (severity,),
                )
        if self.open:
            noun = "finding" if self.open == 1 else "findings"
            return NextAction(
                f"{self.open:,} open {noun} to triage",
                "Revoke what is real; mark false positives or accepted items with a note.",
                "Review findings",
                "findings",
            )
        if self.checklist_done < self.checklist_total:
            left = self.checklist_total - self.checklist_done
            return NextAction(
                f"{left} checklist item{'s' if left != 1 else ''} left",
                "No open findings. Finish the offboarding checklist before you export the report.",
                "Open checklist",
                "checklist",
            )
        return NextAction(
            "All clear — export the report",
            "No open findings and the checklist is complete. Export the report for IT.",
            "Go to Report",
            "report",
        )


def read_summary(service: AuditService, profile: Profile | None) -> AuditSummary:
    counts = service.counts()
    items = service.checklist_items(profile)
    answers = service.checklist_answers()
    done = sum(1 for item in items if answers.get(item.id, (False, "", ""))[0])
    return AuditSummary(
        scans=service.scan_total(),
        total=sum(counts.get("status", {}).values()),
        by_status=counts.get("status", {}),
        by_severity=counts.get("severity", {}),
        open_by_severity=service.open_by_severity(),
        by_source=counts.get("source", {}),
        last_scan=service.last_scan(),
        checklist_done=done,
        checklist_total=len(items),
    )


def when(iso: str | None) -> str:
    """An ISO-8601 UTC time as local ``YYYY-MM-DD HH:MM``."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def duration(scan: ScanRecord) -> str:
    if not scan.finished_at:
        return "still running"
    try:
        start = datetime.fromisoformat(scan.started_at.replace("Z", "+00:00"))
        end = datetime.fromisoformat(scan.finished_at.replace("Z", "+00:00"))
    except ValueError:
        return "—"
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def coverage(scan: ScanRecord) -> str:
    """``git: 3 repos · 1,200 blobs; files: 420 files · 12.5 MB`` from the scan stats."""
    parts = []
    for source, counters in sorted(scan.stats.items()):
        bits = []
        for name, value in counters.items():
            if name == "bytes":
                bits.append(human_bytes(value))
            else:
                bits.append(f"{value:,} {name.replace('_', ' ')}")
        if bits:
            parts.append(f"{source}: " + " · ".join(bits))
    return "; ".join(parts) or "no statistics recorded"


_COVER_NOUNS = {
    "files": "files",
    "dotfiles": "dotfiles",
    "history": "history files",
    "keychain": "keychain items",
}


def short_coverage(scan: ScanRecord) -> str:
    """``4 files, 6 dotfiles, 1 git repo (3 commits), 2 history files``: what a person reads."""
    parts = []
    for source, counters in sorted(scan.stats.items()):
        if source == "git":
            repos, commits = counters.get("repos", 0), counters.get("commits", 0)
            if repos:
                parts.append(f"{repos:,} git repo{'' if repos == 1 else 's'} ({commits:,} commits)")
        else:
            # files read now, or read unchanged by an earlier scan (incremental rescans)
            count = counters.get("files", counters.get("items", 0)) + counters.get(
                "reused_files", 0
            )
            if count:
                parts.append(f"{count:,} {_COVER_NOUNS.get(source, source)}")
    return ", ".join(parts) or "no statistics recorded"


def human_bytes(value: int) -> str:
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{value} B"
