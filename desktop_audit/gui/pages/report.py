"""ReportPage: sign and export the attestation (JSON + PDF/HTML), preview it, verify a file."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.app.frontend import (
    ReportVerification,
    explain_verification,
    group_fingerprint,
    statement_preview,
)
from desktop_audit.app.reports import ReportRequest, ReportResult, ReportService, verify_report
from desktop_audit.errors import UsageError
from desktop_audit.gui.context import AppContext
from desktop_audit.gui.summary import read_summary, short_coverage, when
from desktop_audit.gui.theme import STATUS_LABELS
from desktop_audit.gui.widgets.cards import Card, label, scrolling_page_layout
from desktop_audit.gui.workers import ServiceRunnable, run_blocking
from desktop_audit.models import Status

_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def default_report_name(client: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (client or "").lower()).strip("-")
    date = datetime.now(UTC).date().isoformat()
    return f"offboarding-report-{slug + '-' if slug else ''}{date}.json"


class VerifyDropZone(Card):
    """Accepts a dropped ``.json`` report and asks the page to verify it."""

    dropped = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Verify a report file", parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setAccessibleName("Verify a report file")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802  (Qt override)
        if _dropped_json(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802  (Qt override)
        path = _dropped_json(event)
        if path is not None:
            event.acceptProposedAction()
            self.dropped.emit(path)


def _dropped_json(event: QDragEnterEvent | QDropEvent) -> Path | None:
    mime = event.mimeData()
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
            return Path(url.toLocalFile())
    return None


class ReportPage(QWidget):
    """Who signs, the statement, export with a worker, the summary preview and verification."""

    exported = Signal(object)  # ReportResult
    verified = Signal(object)  # ReportVerification

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        self.runnable: ServiceRunnable | None = None
        self.result: ReportResult | None = None
        self.verification: ReportVerification | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = scrolling_page_layout(
            self,
            "Report",
            "Sign the offboarding report for IT: what was found, what you did about each,"
            " the checklist and the scans behind them. Only the JSON file can be verified.",
            horizontal_scroll=False,
        )
        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(16)
        right = QVBoxLayout()
        right.setSpacing(16)
        columns.addLayout(left, 11)
        columns.addLayout(right, 9)
        layout.addLayout(columns)
        layout.addStretch(1)

        # ---- 1. who signs
        signer = Card("1 · Who signs")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setHorizontalSpacing(14)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Your full name")
        self.name.setAccessibleName("Your full name")
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.com")
        self.email.setAccessibleName("Your e-mail address")
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        signer.body.addLayout(form)
        self.profile_text = label("", "Muted", wrap=True)
        self.profile_text.setTextFormat(Qt.TextFormat.RichText)
        self.load_profile = QPushButton("Load profile…")
        self.load_profile.setAccessibleName("Load engagement profile")
        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_text, 1)
        profile_row.addWidget(self.load_profile, 0, Qt.AlignmentFlag.AlignTop)
        signer.body.addLayout(profile_row)
        self.person_problem = label("", "Problem", wrap=True)
        signer.body.addWidget(self.person_problem)
        left.addWidget(signer)

        # ---- 2. statement
        statement = Card("2 · The statement you sign")
        self.statement = label("", "Quote", wrap=True)
        self.statement.setAccessibleName("Statement")
        self.confirm = QCheckBox("I confirm this statement is true and complete.")
        self.confirm.setAccessibleName("Confirm the statement")
        statement.body.addWidget(self.statement)
        statement.body.addWidget(self.confirm)
        left.addWidget(statement)

        # ---- 3. export
        export = Card("3 · Export and sign")
        formats = QHBoxLayout()
        self.pdf = QCheckBox("PDF for people")
        self.pdf.setChecked(True)
        self.pdf.setAccessibleName("Also write a PDF")
        self.html = QCheckBox("HTML page")
        self.html.setChecked(True)
        self.html.setAccessibleName("Also write a standalone HTML page")
        formats.addWidget(label("Signed JSON, plus:", "Muted"))
        formats.addWidget(self.pdf)
        formats.addWidget(self.html)
        formats.addStretch(1)
        self.export_button = QPushButton("Export signed report…")
        self.export_button.setObjectName("Primary")
        self.export_button.setAccessibleName("Export signed report")
        export_row = QHBoxLayout()
        export_row.addLayout(formats, 1)
        export_row.addWidget(self.export_button)
        export.body.addLayout(export_row)
        self.export_status = label("", wrap=True)
        self.export_status.setTextFormat(Qt.TextFormat.RichText)
        self.fingerprint = label("", "Fingerprint", wrap=True)
        self.fingerprint.setFont(mono)
        self.fingerprint.setAccessibleName("Signing key fingerprint")
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setAccessibleName("Open the folder holding the report")
        done_row = QHBoxLayout()
        done_row.addWidget(self.fingerprint, 1)
        done_row.addWidget(self.open_folder, 0, Qt.AlignmentFlag.AlignTop)
        export.body.addWidget(self.export_status)
        export.body.addLayout(done_row)
        self.fingerprint.setVisible(False)
        self.open_folder.setVisible(False)
        left.addWidget(export)
        left.addStretch(1)

        # ---- preview and verify
        self.preview = Card("What the report will say")
        self.preview_text = label("", wrap=True)
        self.preview_text.setTextFormat(Qt.TextFormat.RichText)
        self.preview.body.addWidget(self.preview_text)
        right.addWidget(self.preview)
        self.verify_zone = VerifyDropZone()
        self.verify_zone.body.addWidget(
            label(
                "Drop a report .json here to check its signature and that nothing was changed.",
                "Muted",
                wrap=True,
            )
        )
        self.verify_button = QPushButton("Verify a report file…")
        self.verify_button.setAccessibleName("Verify a report file")
        verify_row = QHBoxLayout()
        verify_row.addWidget(self.verify_button)
        verify_row.addStretch(1)
        self.verify_zone.body.addLayout(verify_row)
        self.verify_headline = label("", "VerifyHeadline", wrap=True)
        self.verify_detail = label("", "Muted", wrap=True)
        self.verify_zone.body.addWidget(self.verify_headline)
        self.verify_zone.body.addWidget(self.verify_detail)
        self.verify_headline.setVisible(False)
        self.verify_detail.setVisible(False)
        right.addWidget(self.verify_zone)
        right.addStretch(1)

        self.name.textChanged.connect(lambda _t: self._statement_inputs_changed())
        self.email.textChanged.connect(lambda _t: self._statement_inputs_changed())
        self.confirm.toggled.connect(lambda _c: self._update_buttons())
        self.export_button.clicked.connect(self.choose_export)
        self.open_folder.clicked.connect(self._open_folder)
        self.verify_button.clicked.connect(self.choose_verify)
        self.verify_zone.dropped.connect(self.verify_file)
        self.load_profile.clicked.connect(self._choose_profile)
        context.data_changed.connect(self.refresh)
        context.profile_changed.connect(lambda _p: self.refresh())

    # ---------------------------------------------------------------- state
    def refresh(self) -> None:
        self._fill_person()
        self._show_profile()
        self._show_preview()
        self._statement_inputs_changed()

    def _fill_person(self) -> None:
        if self.name.text() or self.email.text():
            return
        try:
            person = ReportService(self._context.service).person()
        except Exception:  # an unreadable database is reported elsewhere
            person = None
        if person is not None:
            for field, value in ((self.name, person.name), (self.email, person.email)):
                field.blockSignals(True)
                field.setText(value)
                field.blockSignals(False)

    def _show_profile(self) -> None:
        profile = self._context.profile
        if profile is None:
            self.profile_text.setText(
                "No engagement profile loaded: the report will not name the client or include"
                " its checklist. Load the profile IT gave you."
            )
            self.load_profile.setVisible(True)
            return
        contact = (
            f" · security contact {html.escape(profile.security_contact)}"
            if profile.security_contact
            else ""
        )
        self.profile_text.setText(
            f"For <b>{html.escape(profile.client)}</b> · contract"
            f" <b>{html.escape(profile.contract_id)}</b>{contact}"
        )
        self.load_profile.setVisible(False)

    def statement_text(self) -> str:
        return statement_preview(self.name.text(), self.email.text(), self._context.profile)

    def _statement_inputs_changed(self) -> None:
        self.statement.setText(self.statement_text())
        if self.confirm.isChecked():
            self.confirm.setChecked(False)  # the text changed: read it again
        self.person_problem.setText(self._person_problem() if self.email.text() else "")
        self._update_buttons()

    def _person_problem(self) -> str:
        if not self.name.text().strip():
            return "Enter your full name."
        if not _EMAIL.match(self.email.text().strip()):
            return "Enter a valid e-mail address (name@domain)."
        return ""

    def _update_buttons(self) -> None:
        ready = not self._person_problem() and self.confirm.isChecked()
        if self.result is None and self.runnable is None:
            self.export_status.setText(
                ""
                if ready
                else "<span>Fill in who signs and tick the confirmation above; then choose"
                " where to save. The files are signed with this installation's key.</span>"
            )
        self.export_button.setEnabled(ready and self.runnable is None)
        self.export_button.setToolTip(
            "" if ready else "Enter your name and e-mail and confirm the statement first"
        )

    def _show_preview(self) -> None:
        service = self._context.service
        profile = self._context.profile
        summary = read_summary(service, profile)
        rows = [
            f"<b>{summary.total:,}</b> findings"
            + (
                " — "
                + ", ".join(
                    f"{summary.by_status.get(s, 0):,} {STATUS_LABELS[s].lower()}"
                    for s in Status
                    if summary.by_status.get(s, 0)
                )
                if summary.total
                else ""
            )
        ]
        if summary.open:
            rows.append(
                f"<span style='color:#c42b3c'><b>{summary.open:,} still open</b></span> — the"
                " report lists them as open. Resolve them first if you can."
            )
        elif summary.total:
            rows.append("<span style='color:#2f8a57'><b>Every finding is resolved.</b></span>")
        rows.append(f"Checklist <b>{summary.checklist_done} of {summary.checklist_total}</b> done")
        scan = summary.last_scan
        rows.append(
            "No scan yet — run one first."
            if scan is None
            else f"Last scan {when(scan.started_at)} ({scan.status.value}):"
            f" {html.escape(short_coverage(scan))}"
        )
        self.preview_text.setText("<br>".join(rows))

    def _choose_profile(self) -> None:
        from desktop_audit.gui.pages.overview import choose_profile  # noqa: PLC0415

        choose_profile(self._context, self)

    # ---------------------------------------------------------------- export
    def choose_export(self) -> None:
        profile = self._context.profile
        start = Path.home() / default_report_name(profile.client if profile else None)
        path, _ = QFileDialog.getSaveFileName(
            self, "Export signed report", str(start), "Signed report (*.json)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, out: Path) -> ServiceRunnable | None:
        """Sign and write ``out`` (+ ``.pdf``/``.html`` beside it) in a worker."""
        problem = self._person_problem()
        if problem or not self.confirm.isChecked() or self.runnable is not None:
            self.person_problem.setText(problem or "Confirm the statement first.")
            return None
        if out.suffix.lower() != ".json":
            out = out.with_name(out.name + ".json")
        service = self._context.service
        try:
            _ = service.secrecy  # unlock on the GUI thread: a passphrase prompt may be needed
        except Exception as exc:
            self._context.error.emit(exc)
            return None
        shown = self.statement.text()

        def confirm(text: str) -> bool:
            if text != shown:
                raise UsageError("the statement changed since you confirmed it; read it again")
            return True

        request = ReportRequest(
            out=out,
            confirm=confirm,
            pdf=out.with_suffix(".pdf") if self.pdf.isChecked() else None,
            html=out.with_suffix(".html") if self.html.isChecked() else None,
            profile_path=self._context.profile_path,
            name=self.name.text(),
            email=self.email.text(),
        )
        self.export_status.setText("<i>Signing and writing the report…</i>")
        self.fingerprint.setVisible(False)
        self.open_folder.setVisible(False)
        self.runnable = run_blocking(
            self._context.pool,
            lambda: ReportService(service).create(request),
            self._exported,
            self._export_failed,
        )
        self._update_buttons()
        return self.runnable

    def _exported(self, result: object) -> None:
        if not isinstance(result, ReportResult):
            return
        self.runnable = None
        self.result = result
        files = "<br>".join(f"• {html.escape(str(p))}" for p in result.written)
        notes = "".join(f"<br><i>Note: {html.escape(n)}</i>" for n in result.notices)
        self.export_status.setText(
            f"<span style='color:#2f8a57'><b>✓ Signed and saved.</b></span> Send the .json"
            f" to IT (the PDF is for reading).<br>{files}{notes}"
        )
        self.fingerprint.setText(
            "Key fingerprint — read it to IT so they can pin it:\n"
            + group_fingerprint(result.fingerprint)
        )
        self.fingerprint.setVisible(True)
        self.open_folder.setVisible(True)
        self._update_buttons()
        self.exported.emit(result)
        self._context.data_changed.emit()

    def _export_failed(self, exc: object) -> None:
        self.runnable = None
        self.export_status.setText("The report was not written. See the message above.")
        self._update_buttons()
        self._context.error.emit(exc)

    def _open_folder(self) -> None:
        if self.result is not None and self.result.written:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.written[0].parent)))

    # ---------------------------------------------------------------- verify
    def choose_verify(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Verify a report file", str(Path.home()), "Signed report (*.json)"
        )
        if path:
            self.verify_file(Path(path))

    def verify_file(self, path: object) -> ServiceRunnable | None:
        if not isinstance(path, Path):
            return None
        self.verify_headline.setVisible(True)
        self.verify_headline.setText(f"Checking {html.escape(path.name)}…")
        self.verify_detail.setVisible(False)
        return run_blocking(
            self._context.pool,
            lambda: verify_report(path),
            lambda result: self._verified(path, result),
            self._context.error.emit,
        )

    def _verified(self, path: Path, result: object) -> None:
        if not isinstance(result, ReportVerification):
            return
        self.verification = result
        valid, headline, detail = explain_verification(result)
        colour = "#2f8a57" if valid else "#c42b3c"
        mark = "✓" if valid else "✗"
        self.verify_headline.setText(
            f"<span style='color:{colour}'><b>{mark} {html.escape(headline)}</b></span>"
        )
        self.verify_detail.setText(f"{path.name}\n{detail}")
        self.verify_detail.setVisible(True)
        self.verified.emit(result)
