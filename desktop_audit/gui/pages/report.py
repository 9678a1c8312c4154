"""ReportPage: a preview of what the signed report will say (export arrives with attestation)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop_audit.gui.context import AppContext
from desktop_audit.gui.summary import coverage, read_summary, when
from desktop_audit.gui.theme import STATUS_LABELS
from desktop_audit.gui.widgets.cards import Card, PageHeader, label
from desktop_audit.models import Severity, Status


class ReportPage(QWidget):
    """Summary preview; Export and Verify stay disabled until signed reports exist."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        content = QWidget()
        scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(16)
        layout.addWidget(
            PageHeader(
                "Report",
                "A preview of what the report for IT will contain: findings and what you did"
                " about each, the checklist and the scans behind them.",
            )
        )
        notice = Card()
        notice.body.addWidget(
            label(
                "Signed reports arrive with the attestation feature. Until then this page is a"
                " preview only: nothing is exported or signed yet.",
                wrap=True,
            )
        )
        buttons = QHBoxLayout()
        self.export_button = QPushButton("Export signed report…")
        self.export_button.setObjectName("Primary")
        self.verify_button = QPushButton("Verify a report…")
        for button in (self.export_button, self.verify_button):
            button.setEnabled(False)
            button.setToolTip("Signed reports arrive with the attestation feature")
            buttons.addWidget(button)
        self.export_button.setAccessibleName("Export signed report (not available yet)")
        self.verify_button.setAccessibleName("Verify a report (not available yet)")
        buttons.addStretch(1)
        notice.body.addLayout(buttons)
        layout.addWidget(notice)
        self.engagement = Card("Engagement")
        self.engagement_text = label("", wrap=True)
        self.engagement.body.addWidget(self.engagement_text)
        self.findings = Card("Findings")
        self.findings_text = label("", wrap=True)
        self.findings.body.addWidget(self.findings_text)
        self.checklist = Card("Checklist")
        self.checklist_text = label("", wrap=True)
        self.checklist.body.addWidget(self.checklist_text)
        self.scan = Card("Last scan")
        self.scan_text = label("", wrap=True)
        self.scan.body.addWidget(self.scan_text)
        for card in (self.engagement, self.findings, self.checklist, self.scan):
            layout.addWidget(card)
        layout.addStretch(1)
        context.data_changed.connect(self.refresh)
        context.profile_changed.connect(lambda _p: self.refresh())

    def refresh(self) -> None:
        service = self._context.service
        profile = self._context.profile
        summary = read_summary(service, profile)
        if profile is None:
            self.engagement_text.setText(
                "No engagement profile loaded. The report will name the client and contract"
                " once you load the profile IT gave you."
            )
        else:
            self.engagement_text.setText(
                f"Client <b>{html.escape(profile.client)}</b> · contract"
                f" <b>{html.escape(profile.contract_id)}</b>"
                + (
                    f" · security contact {html.escape(profile.security_contact)}"
                    if profile.security_contact
                    else ""
                )
            )
        status_line = " · ".join(
            f"{STATUS_LABELS[s]} <b>{summary.by_status.get(s, 0):,}</b>" for s in Status
        )
        severity_line = " · ".join(
            f"{s.value.capitalize()} {summary.by_severity.get(s, 0):,}" for s in Severity
        )
        verdict = (
            "Every finding is resolved."
            if summary.total and not summary.open
            else f"{summary.open:,} finding(s) still open — the report would list them as open."
            if summary.open
            else "No findings recorded."
        )
        self.findings_text.setText(
            f"{summary.total:,} findings · {status_line}<br>By severity: {severity_line}"
            f"<br><br>{verdict}"
        )
        answers = service.checklist_answers()
        items = service.checklist_items(profile)
        rows = []
        for item in items:
            done, note, _at = answers.get(item.id, (False, "", ""))
            mark = "☑" if done else "☐"
            rows.append(
                f"{mark} {html.escape(item.text)}"
                + (f" — <i>{html.escape(note)}</i>" if note else "")
            )
        self.checklist_text.setText(
            f"<b>{summary.checklist_done} of {summary.checklist_total}</b> done<br>"
            + "<br>".join(rows)
        )
        scan = summary.last_scan
        self.scan_text.setText(
            "No scan yet."
            if scan is None
            else f"{when(scan.started_at)} · {scan.status.value} · {html.escape(coverage(scan))}"
            f" · {len(scan.errors)} problem(s)"
        )
