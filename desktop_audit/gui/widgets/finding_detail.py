"""FindingDetailView: one finding's redacted evidence, locations, guide, history and actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.app.frontend import Guide
from desktop_audit.gui.models.findings_table import SOURCE_LABELS
from desktop_audit.gui.summary import when
from desktop_audit.gui.theme import SEVERITY_COLOURS, STATUS_COLOURS, STATUS_LABELS
from desktop_audit.gui.widgets.cards import Card, label
from desktop_audit.gui.widgets.chips import Chip
from desktop_audit.gui.widgets.cleanup_panel import CleanupPanel
from desktop_audit.gui.widgets.guide_view import GuideView
from desktop_audit.models import FindingRecord, LocationRecord, Status

GuideLookup = Callable[[FindingRecord], Guide | None]
"""Returns a finding's rendered revocation guide, or None when none can be loaded."""

ContextLookup = Callable[[int], str]


def generic_guide(finding: FindingRecord) -> str:
    """What to do when no written guide exists for this provider yet."""
    return (
        f"Revoke this credential at the provider ({finding.provider}): sign in to its console or"
        " ask its owner, delete or rotate the key or token, then mark it revoked here and"
        " rescan — the rescan confirms no copy is left on this machine."
    )


def location_text(record: LocationRecord, home: str | None) -> str:
    loc = record.location
    where = loc.path or loc.keychain_item or "—"
    if home and loc.path and loc.path.startswith(home.rstrip("/") + "/"):
        where = "~" + loc.path[len(home.rstrip("/")) :]
    bits = [SOURCE_LABELS.get(loc.source, str(loc.source)), where]
    if loc.line:
        bits[-1] += f":{loc.line}"
    if loc.commit:
        bits.append(f"commit {loc.commit[:10]}")
    if loc.ref:
        bits.append(loc.ref)
    if not record.present:
        bits.append("(gone)")
    return "  ·  ".join(bits)


class FindingDetailView(QScrollArea):
    """Shows the selected finding; emits ``resolve_requested`` for the action buttons."""

    resolve_requested = Signal(object)  # Status

    def __init__(
        self,
        context_lookup: ContextLookup,
        guide_lookup: GuideLookup,
        home: Callable[[], str | None],
        parent: QWidget | None = None,
        *,
        contact: Callable[[], str] | None = None,
        cleanup: CleanupPanel | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setMinimumWidth(360)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Finding details")
        self._context_lookup = context_lookup
        self._guide_lookup = guide_lookup
        self._home = home
        self._contact = contact or (lambda: "")
        self.cleanup = cleanup
        self.finding: FindingRecord | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        inner = QWidget()
        self.setWidget(inner)
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(12)

        self.empty = label(
            "Select a finding to see where it is, its redacted evidence and how to revoke it.",
            "Muted",
            wrap=True,
        )
        layout.addWidget(self.empty)

        self.content = QWidget()
        body = QVBoxLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(12)
        layout.addWidget(self.content)
        layout.addStretch(1)

        head = Card()
        self.title = label("", "SectionTitle", wrap=True)
        chips = QHBoxLayout()
        self.severity_chip = Chip()
        self.status_chip = Chip()
        self.kind_chip = Chip()
        for chip in (self.severity_chip, self.status_chip, self.kind_chip):
            chips.addWidget(chip)
        chips.addStretch(1)
        self.meta = label("", "Muted", wrap=True)
        self.preview = label("")
        self.preview.setFont(mono)
        self.preview.setAccessibleName("Redacted preview")
        head.body.addWidget(self.title)
        head.body.addLayout(chips)
        head.body.addWidget(self.preview)
        head.body.addWidget(self.meta)
        actions = QGridLayout()
        actions.setSpacing(6)
        self.revoke_button = QPushButton("Mark revoked…")
        self.false_button = QPushButton("False positive…")
        self.accept_button = QPushButton("Accept…")
        self.reopen_button = QPushButton("Reopen…")
        for index, (button, status) in enumerate(
            (
                (self.revoke_button, Status.REVOKED),
                (self.false_button, Status.FALSE_POSITIVE),
                (self.accept_button, Status.ACCEPTED),
                (self.reopen_button, Status.OPEN),
            )
        ):
            button.setAccessibleName(f"Mark this finding {STATUS_LABELS[status].lower()}")
            button.clicked.connect(lambda _=False, s=status: self.resolve_requested.emit(s))
            actions.addWidget(button, index // 2, index % 2)
        self.revoke_button.setObjectName("Primary")
        head.body.addLayout(actions)
        body.addWidget(head)

        self.guide = GuideView()
        body.addWidget(self.guide)

        where = Card("Where it is")
        self.locations = QListWidget()
        self.locations.setObjectName("Plain")
        self.locations.setAccessibleName("Locations")
        self.locations.setMaximumHeight(130)
        self.locations.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.locations.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        loc_buttons = QHBoxLayout()
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setAccessibleName("Open the folder of this location")
        self.copy_path = QPushButton("Copy path")
        self.copy_path.setAccessibleName("Copy the path of this location")
        loc_buttons.addWidget(self.open_folder)
        loc_buttons.addWidget(self.copy_path)
        loc_buttons.addStretch(1)
        self.evidence = QPlainTextEdit()
        self.evidence.setReadOnly(True)
        self.evidence.setFont(mono)
        self.evidence.setAccessibleName("Redacted evidence")
        self.evidence.setMaximumHeight(140)
        self.evidence.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        where.body.addWidget(self.locations)
        where.body.addLayout(loc_buttons)
        where.body.addWidget(label("Evidence (secret redacted)", "Muted"))
        where.body.addWidget(self.evidence)
        body.addWidget(where)
        if cleanup is not None:
            body.addWidget(cleanup)

        history = Card("History")
        self.history = label("", wrap=True)
        history.body.addWidget(self.history)
        body.addWidget(history)

        self.locations.currentRowChanged.connect(self._show_location)
        self.open_folder.clicked.connect(self._open_folder)
        self.copy_path.clicked.connect(self._copy_path)
        self.show_finding(None)

    def show_finding(self, finding: FindingRecord | None) -> None:
        self.finding = finding
        self.empty.setVisible(finding is None)
        self.content.setVisible(finding is not None)
        if finding is None:
            if self.cleanup is not None:
                self.cleanup.set_target(None, None)
            return
        self.title.setText(finding.title)
        self.severity_chip.set_chip(
            finding.severity.value.capitalize(), SEVERITY_COLOURS[finding.severity]
        )
        self.status_chip.set_chip(STATUS_LABELS[finding.status], STATUS_COLOURS[finding.status])
        self.kind_chip.set_chip(finding.kind.value.capitalize(), "#56657a")
        self.preview.setText(finding.redacted)
        self.meta.setText(
            f"Provider {finding.provider} · rule {finding.rule_id}<br>"
            f"First seen {when(finding.first_seen)} · last seen {when(finding.last_seen)}<br>"
            f"Id {finding.id}"
        )
        self.revoke_button.setEnabled(finding.status is Status.OPEN)
        self.false_button.setEnabled(finding.status is Status.OPEN)
        self.accept_button.setEnabled(finding.status is Status.OPEN)
        self.reopen_button.setEnabled(finding.status is not Status.OPEN)
        self.locations.clear()
        home = self._home()
        for record in finding.locations:
            item = QListWidgetItem(location_text(record, home))
            item.setToolTip(record.location.path or record.location.keychain_item or "")
            self.locations.addItem(item)
        if finding.locations:
            self.locations.setCurrentRow(0)
        else:
            self._show_location(-1)
        self.guide.show_guide(self._guide_lookup(finding), generic_guide(finding), self._contact())
        self.history.setText(
            "<br>".join(
                f"<b>{STATUS_LABELS[e.status]}</b> · {when(e.at)} · {e.actor}"
                + (f"<br><span>&nbsp;&nbsp;{_escape(e.note)}</span>" if e.note else "")
                for e in finding.events
            )
            or "No changes yet."
        )

    def current_location(self) -> LocationRecord | None:
        row = self.locations.currentRow()
        if self.finding is None or not 0 <= row < len(self.finding.locations):
            return None
        return self.finding.locations[row]

    def _show_location(self, _row: int) -> None:
        record = self.current_location()
        has_path = record is not None and bool(record.location.path)
        self.open_folder.setEnabled(has_path)
        self.copy_path.setEnabled(has_path)
        if self.cleanup is not None:
            self.cleanup.set_target(self.finding, record)
        if record is None:
            self.evidence.setPlainText("")
            return
        try:
            text = self._context_lookup(record.id)
        except Exception:  # a wrong key or damaged row: say so instead of failing
            text = "(the evidence could not be decrypted with this installation's key)"
        self.evidence.setPlainText(text or "(no context stored for this location)")

    def _open_folder(self) -> None:
        record = self.current_location()
        if record is None or not record.location.path:
            return
        path = PurePath(record.location.path)
        folder = path.parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _copy_path(self) -> None:
        record = self.current_location()
        if record is not None and record.location.path:
            QGuiApplication.clipboard().setText(record.location.path)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["FindingDetailView", "GuideLookup", "generic_guide"]
