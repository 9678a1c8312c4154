"""Guides, clean-up (plan, confirm, apply, rescan, undo), report export and verification, and
screenshots without a display — real widgets, real SQLite, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_audit.app.reports import verify_report
from desktop_audit.app.service import AuditService, ScanRequest
from desktop_audit.gui.context import Page
from desktop_audit.gui.main_window import MainWindow
from desktop_audit.gui.widgets.cleanup_panel import ActionKind
from desktop_audit.models import SourceGroup
from tests.remediate.conftest import example

WindowFactory = Callable[..., MainWindow]
SLOW = 120_000  # the first plan loads the rule pack in the worker


def wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.findings.model.loading, timeout=10_000)


def select(qtbot: QtBot, window: MainWindow, finding_id: str) -> None:
    window.show_page(Page.FINDINGS)
    wait_loaded(qtbot, window)
    page = window.findings
    row = page.model.row_of(finding_id)
    assert row >= 0
    page.table.selectRow(row)
    qtbot.waitUntil(
        lambda: page.detail.finding is not None and page.detail.finding.id == finding_id
    )


def test_guide_rendered_with_console_steps_cli_and_contact(
    qtbot: QtBot,
    make_window: WindowFactory,
    small_db: Path,
    profile_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(small_db, profile_path)
    service = window.context.service
    github = next(f for f in service.findings() if f.provider == "github")
    select(qtbot, window, github.id)
    view = window.findings.detail.guide
    assert view.guide is not None and view.guide.id == "github"
    assert view.heading.text() == "GitHub token"
    assert view.steps.text().startswith("<b>1.</b>")
    assert "<b>2.</b>" in view.steps.text()
    assert "gh auth" in view.cli.toPlainText()
    assert view.cli.isVisibleTo(view) and view.copy_cli.isVisibleTo(view)
    assert "Deploy keys" in view.also.text()
    assert view.verify.text()
    assert "security@example.com" in view.contact.text()

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    qtbot.mouseClick(view.console_button, Qt.MouseButton.LeftButton)
    assert [u.toString() for u in opened] == ["https://github.com/settings/tokens"]
    qtbot.mouseClick(view.copy_cli, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == view.cli.toPlainText()


@pytest.fixture
def dotfile_db(tmp_path: Path, db_path: Path) -> tuple[Path, Path, bytes, str]:
    """A home whose .bashrc holds a GitHub token, scanned for real into ``db_path``."""
    home = tmp_path / "home"
    home.mkdir()
    line, _secret = example("github.pat")
    before = b"alias ll='ls -l'\n" + line.encode() + b"\nexport EDITOR=vim\n"
    rc = home / ".bashrc"
    rc.write_bytes(before)
    rc.chmod(0o640)
    service = AuditService(db_path=db_path)
    try:
        groups = (SourceGroup.DOTFILES, SourceGroup.FILES)
        outcome = service.scan(ScanRequest(home=home, groups=groups))
    finally:
        service.close()
    github = [f for f in outcome.findings if f.rule_id == "github.pat"]
    assert len(github) == 1
    return db_path, rc, before, github[0].id


def test_cleanup_plan_confirm_apply_verify_undo(
    qtbot: QtBot, make_window: WindowFactory, dotfile_db: tuple[Path, Path, bytes, str]
) -> None:
    db, rc, before, finding_id = dotfile_db
    _line, secret = example("github.pat")
    window = make_window(db)
    select(qtbot, window, finding_id)
    panel = window.findings.cleanup
    assert panel.selected_kind() is ActionKind.REMOVE_LINES
    assert panel.preview_button.isEnabled()

    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog.isVisible(), timeout=SLOW)
    dialog = panel.dialog
    assert dialog is not None and dialog.action_button is not None
    assert "backup" in dialog.explanation.text() and "undo" in dialog.explanation.text()
    preview = dialog.details.toPlainText()
    assert ".bashrc" in preview and secret.decode() not in preview
    assert rc.read_bytes() == before  # the preview changes nothing

    with qtbot.waitSignal(panel.applied, timeout=SLOW) as applied:
        qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    outcome = applied.args[0]
    after = rc.read_bytes()
    assert after == b"alias ll='ls -l'\nexport EDITOR=vim\n"
    assert rc.stat().st_mode & 0o777 == 0o640
    assert outcome.verification.finding_gone
    assert "no copy left" in panel.status.text()
    detail = window.findings.detail
    qtbot.waitUntil(lambda: detail.finding is not None and not detail.finding.present)
    assert "(gone)" in detail.locations.item(0).text()
    assert not window.context.service.finding(finding_id).locations[0].present
    assert panel.history.count() == 1 and "done" in panel.history.item(0).text()
    assert panel.undo_last.isVisible() and panel.undo_last.isEnabled()

    with qtbot.waitSignal(panel.undone, timeout=SLOW):
        qtbot.mouseClick(panel.undo_last, Qt.MouseButton.LeftButton)
    assert rc.read_bytes() == before
    assert window.context.service.finding(finding_id).present
    qtbot.waitUntil(lambda: panel.history.count() == 1 and "undone" in panel.history.item(0).text())
    assert not panel.undo_selected.isEnabled()


def test_cleanup_of_changed_file_is_a_banner(
    qtbot: QtBot, make_window: WindowFactory, dotfile_db: tuple[Path, Path, bytes, str]
) -> None:
    db, rc, _before, finding_id = dotfile_db
    window = make_window(db)
    select(qtbot, window, finding_id)
    panel = window.findings.cleanup
    rc.write_text("export EDITOR=vim\n")  # the credential went away since the scan
    with qtbot.waitSignal(panel.failed, timeout=SLOW):
        qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    assert window.banner.isVisible()
    assert "no longer in this file" in window.banner.message.text()
    assert panel.dialog is None


def test_report_export_verifies_and_tampering_is_invalid(
    qtbot: QtBot,
    make_window: WindowFactory,
    small_db: Path,
    profile_path: Path,
    tmp_path: Path,
) -> None:
    window = make_window(small_db, profile_path)
    window.show_page(Page.REPORT)
    page = window.report
    assert "Example Labs" in page.profile_text.text()
    assert not page.export_button.isEnabled()
    page.name.setText("Alex Morgan")
    page.email.setText("alex@contractor.example")
    assert "Alex Morgan <alex@contractor.example>" in page.statement.text()
    assert "Example Labs (contract EX-2026-17)" in page.statement.text()
    assert not page.export_button.isEnabled()
    page.confirm.setChecked(True)
    assert page.export_button.isEnabled()

    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    page.html.setChecked(False)
    with qtbot.waitSignal(page.exported, timeout=SLOW) as exported:
        assert page.export_to(out) is not None
    result = exported.args[0]
    assert verify_report(out).valid
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert not out.with_suffix(".html").exists()
    assert page.fingerprint.isVisible()
    assert result.fingerprint[:4] in page.fingerprint.text().replace(" ", "")
    assert page.open_folder.isVisible()
    content = json.loads(out.read_text(encoding="utf-8"))["attestation"]
    assert content["person"] == {"name": "Alex Morgan", "email": "alex@contractor.example"}
    assert content["statement"]["confirmed"] is True

    with qtbot.waitSignal(page.verified, timeout=SLOW):
        page.verify_file(out)
    assert "Valid" in page.verify_headline.text()
    assert "Alex Morgan" in page.verify_detail.text()

    tampered = tmp_path / "tampered.json"
    tampered.write_text(
        out.read_text(encoding="utf-8").replace("Alex Morgan", "Alex Morgen"), encoding="utf-8"
    )
    with qtbot.waitSignal(page.verified, timeout=SLOW) as verified:
        page.verify_file(tampered)
    assert not verified.args[0].valid
    assert "Invalid" in page.verify_headline.text()
    assert "changed after it was signed" in page.verify_detail.text()

    # The person is remembered for the next start.
    window.context.service.close()
    service = AuditService(db_path=small_db)
    try:
        from desktop_audit.app.reports import ReportService

        person = ReportService(service).person()
    finally:
        service.close()
    assert person is not None and person.email == "alex@contractor.example"


def test_screenshot_without_qt_platform_or_display(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
    command = [sys.executable, "-m", "desktop_audit", "gui", "--db", str(small_db)]
    command += ["--page", "report", "--screenshot", str(out)]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
