"""OverviewPage: where the machine stands, and the one thing to do next."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.app.queries import FindingFilter
from desktop_audit.gui.context import AppContext, Page
from desktop_audit.gui.models.findings_table import SOURCE_LABELS
from desktop_audit.gui.summary import (
    AuditSummary,
    coverage,
    duration,
    read_summary,
    short_coverage,
    when,
)
from desktop_audit.gui.theme import SEVERITY_COLOURS, STATUS_COLOURS, STATUS_LABELS
from desktop_audit.gui.widgets.cards import Card, StatTile, label, scrolling_page_layout
from desktop_audit.models import Severity, SourceKind, Status

WHAT_IS_READ = (
    ("Files", "documents, configs and code under your home and the folders you choose"),
    ("Dotfiles", "known credential files such as ~/.aws, ~/.npmrc, ~/.netrc, ~/.docker"),
    ("Shell history", "bash, zsh and fish history"),
    ("Git history", "every repository: all commits, stashes, reflogs and unreachable objects"),
    ("Keychain", "the OS keychain; values are read in memory only, for matching"),
)


class WelcomePanel(Card):
    """First run: what will be read, the privacy promise, and how to load the IT profile."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setAccessibleName("Welcome")
        self.body.setSpacing(10)
        self.body.addWidget(label("Check this machine before you hand it back", "Action"))
        self.body.addWidget(
            label(
                "desktop-audit looks for credentials and client references left on this"
                " workstation, helps you revoke and remove them, and records what you did.",
                "Muted",
                wrap=True,
            )
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        for row, (name, text) in enumerate(WHAT_IS_READ):
            title = QLabel(f"<b>{name}</b>")
            grid.addWidget(title, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label(text, "Muted", wrap=True), row, 1)
        grid.setColumnStretch(1, 1)
        self.body.addLayout(grid)
        privacy = label(
            "Nothing leaves this machine. Results stay in a local, encrypted database and"
            " secrets are only ever shown redacted.",
            wrap=True,
        )
        privacy.setStyleSheet("font-weight: 600;")
        self.body.addWidget(privacy)
        drop = Card()
        drop.setObjectName("DropZone")
        drop.body.addWidget(
            label(
                "Got an engagement profile (.toml) from IT? Drop it on this window, or",
                wrap=True,
            )
        )
        row_layout = QHBoxLayout()
        self.load_button = QPushButton("Load profile…")
        self.load_button.setAccessibleName("Load engagement profile")
        self.start_button = QPushButton("Start a scan")
        self.start_button.setObjectName("Primary")
        self.start_button.setAccessibleName("Go to the Scan page")
        row_layout.addWidget(self.load_button)
        row_layout.addStretch(1)
        row_layout.addWidget(self.start_button)
        drop.body.addLayout(row_layout)
        self.body.addWidget(drop)
        self.load_button.clicked.connect(lambda: choose_profile(context, self))
        self.start_button.clicked.connect(lambda: context.navigate.emit(Page.SCAN))


def choose_profile(context: AppContext, parent: QWidget) -> None:
    """Ask for a profile file and load it."""
    start = str(context.settings.last_profile or Path.home())
    path, _ = QFileDialog.getOpenFileName(
        parent, "Load engagement profile", start, "Engagement profile (*.toml)"
    )
    if path:
        context.load_profile(Path(path))


class OverviewPage(QWidget):
    """Counts by severity, status and source; last scan; checklist; next action."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        layout = scrolling_page_layout(
            self, "Overview", "Where this machine stands before you hand it back."
        )
        self.welcome = WelcomePanel(context)
        layout.addWidget(self.welcome)

        self.next_card = Card()
        self.next_card.setAccessibleName("Next step")
        next_row = QHBoxLayout()
        next_text = QVBoxLayout()
        self.next_kicker = label("NEXT STEP", "Muted")
        self.next_kicker.setStyleSheet("font-size: 8pt; font-weight: 600; letter-spacing: 1px;")
        self.next_title = label("", "Action")
        self.next_detail = label("", "Muted", wrap=True)
        next_text.addWidget(self.next_kicker)
        next_text.addWidget(self.next_title)
        next_text.addWidget(self.next_detail)
        self.next_button = QPushButton()
        self.next_button.setObjectName("Primary")
        self.next_button.clicked.connect(self._do_next)
        next_row.addLayout(next_text, 1)
        next_row.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.next_card.body.addLayout(next_row)
        layout.addWidget(self.next_card)

        self.tiles_title = label("Open findings by severity", "SectionTitle")
        layout.addWidget(self.tiles_title)
        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        self.severity_tiles: dict[Severity, StatTile] = {}
        for severity in Severity:
            tile = StatTile(severity.value.capitalize(), SEVERITY_COLOURS[severity])
            self.severity_tiles[severity] = tile
            tiles.addWidget(tile)
        self.tiles = QWidget()
        self.tiles.setLayout(tiles)
        tiles.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tiles)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.status_card = Card("By status")
        self.status_label = label("", wrap=True)
        self.status_card.body.addWidget(self.status_label)
        self.status_card.body.addStretch(1)
        self.source_card = Card("Where they are")
        self.source_label = label("", wrap=True)
        self.source_card.body.addWidget(self.source_label)
        self.source_card.body.addStretch(1)
        self.scan_card = Card("Last scan")
        self.scan_label = label("", wrap=True)
        self.scan_card.body.addWidget(self.scan_label)
        self.scan_card.body.addStretch(1)
        self.checklist_card = Card("Offboarding checklist")
        self.checklist_label = label("", "Muted")
        self.checklist_bar = QProgressBar()
        self.checklist_bar.setAccessibleName("Checklist progress")
        self.checklist_bar.setTextVisible(False)
        self.checklist_card.body.addWidget(self.checklist_label)
        self.checklist_card.body.addWidget(self.checklist_bar)
        self.checklist_card.body.addStretch(1)
        grid.addWidget(self.status_card, 0, 0)
        grid.addWidget(self.source_card, 0, 1)
        grid.addWidget(self.scan_card, 1, 0)
        grid.addWidget(self.checklist_card, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.details = QWidget()
        self.details.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.details)
        layout.addStretch(1)
        self.summary: AuditSummary | None = None
        context.data_changed.connect(self.refresh)
        context.profile_changed.connect(lambda _p: self.refresh())

    def refresh(self) -> None:
        """Read the database again and update every card."""
        summary = read_summary(self._context.service, self._context.profile)
        self.summary = summary
        first_run = summary.scans == 0
        self.welcome.setVisible(first_run)
        action = summary.next_action
        self.next_title.setText(action.text)
        self.next_detail.setText(action.detail)
        self.next_button.setText(action.button)
        self.next_button.setAccessibleName(action.button)
        self.next_card.setAccessibleDescription(action.text)
        for widget in (self.next_card, self.tiles_title, self.tiles, self.details):
            widget.setVisible(not first_run)
        for severity, tile in self.severity_tiles.items():
            tile.set_value(summary.open_by_severity.get(severity, 0))
        self.status_label.setText(_status_html(summary))
        self.source_label.setText(_source_html(summary))
        self.scan_label.setText(_scan_html(summary))
        last = summary.last_scan
        self.scan_label.setToolTip(coverage(last) if last is not None else "")
        done, total = summary.checklist_done, summary.checklist_total
        self.checklist_label.setText(f"{done} of {total} items done")
        self.checklist_bar.setRange(0, max(total, 1))
        self.checklist_bar.setValue(done)

    def _do_next(self) -> None:
        if self.summary is None:
            return
        action = self.summary.next_action
        if action.page == Page.FINDINGS:
            self._context.show_findings.emit(
                FindingFilter(severities=action.severities, statuses=(Status.OPEN,))
            )
        self._context.navigate.emit(action.page)


def _dot(colour: str) -> str:
    return f'<span style="color:{colour}; font-size: 12pt;">●</span>'


def _status_html(summary: AuditSummary) -> str:
    if not summary.total:
        return "No findings recorded yet."
    rows = [
        f"{_dot(STATUS_COLOURS[s])}&nbsp; {STATUS_LABELS[s]}:"
        f" <b>{summary.by_status.get(s, 0):,}</b>"
        for s in Status
    ]
    noun = "finding" if summary.total == 1 else "findings"
    return "<br>".join(rows) + f"<br><br>{summary.total:,} {noun} in total"


def _source_html(summary: AuditSummary) -> str:
    if not summary.by_source:
        return "Nothing found on this machine yet."
    items = sorted(summary.by_source.items(), key=lambda kv: -kv[1])
    rows = []
    for name, count in items:
        try:
            title = SOURCE_LABELS[SourceKind(name)]
        except ValueError:
            title = name
        rows.append(f"{title}: <b>{count:,}</b>")
    return "Findings with a copy still on this machine:<br>" + "<br>".join(rows)


def _scan_html(summary: AuditSummary) -> str:
    scan = summary.last_scan
    if scan is None:
        return "No scan yet. Start one on the Scan page."
    problems = len(scan.errors)
    state = {"complete": "Complete", "cancelled": "Cancelled — partial results kept"}.get(
        scan.status.value, scan.status.value.capitalize()
    )
    lines = [
        f"<b>{when(scan.started_at)}</b> · {duration(scan)} · {state}",
        f"Home: {html.escape(scan.home)}",
        f"Scope: {', '.join(scan.groups) or '—'}",
        "Read: " + html.escape(short_coverage(scan)),
        f"Findings seen: <b>{scan.findings:,}</b> · Problems: <b>{problems}</b>"
        + (" (files or repositories that could not be read)" if problems else ""),
    ]
    return "<br>".join(lines)
