"""The main window driven like a person would: clicks, shortcuts, dialogs, drops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop_audit.app.service import AuditService
from desktop_audit.errors import ProfileError
from desktop_audit.gui.context import Page
from desktop_audit.gui.main_window import MainWindow
from desktop_audit.gui.models.findings_table import FindingColumn
from desktop_audit.gui.widgets.note_dialog import NoteDialog
from desktop_audit.models import Severity, Status

WindowFactory = Callable[..., MainWindow]


def wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.findings.model.loading, timeout=10_000)


def test_first_run_shows_welcome(qtbot: QtBot, make_window: WindowFactory, db_path: Path) -> None:
    window = make_window(db_path)
    overview = window.overview
    assert window.current_page() is Page.OVERVIEW
    # read at start-up (once more a second later if the store was busy)
    qtbot.waitUntil(lambda: overview.summary is not None, timeout=5000)
    assert overview.welcome.isVisible()
    assert not overview.next_card.isVisible()
    assert overview.summary is not None
    assert overview.summary.next_action.text == "Run your first scan"
    # The findings page explains what to do instead of showing an empty table.
    window.show_page(Page.FINDINGS)
    wait_loaded(qtbot, window)
    assert window.findings.table_stack.currentWidget() is window.findings.empty
    assert window.findings.empty_button.text() == "Go to Scan"


def test_overview_counts_and_next_action(make_window: WindowFactory, small_db: Path) -> None:
    window = make_window(small_db)
    overview = window.overview
    assert not overview.welcome.isVisible()
    assert overview.severity_tiles[Severity.CRITICAL].number.text() == "8"
    assert overview.summary is not None
    assert overview.summary.next_action.text == "8 critical findings to revoke"
    assert "Open: <b>40</b>" in overview.status_label.text()


def test_sidebar_and_shortcuts_switch_pages(
    qtbot: QtBot, make_window: WindowFactory, small_db: Path
) -> None:
    window = make_window(small_db)
    with qtbot.waitActive(window):
        window.activateWindow()
    for index, page in enumerate(Page, start=1):
        QTest.keySequence(window, QKeySequence(f"Ctrl+{index}"))
        assert window.current_page() is page
    rect = window.sidebar.visualItemRect(window.sidebar.item(1))
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() is Page.SCAN
    window.show_page(Page.OVERVIEW)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is Page.FINDINGS
    assert window.findings.search.hasFocus()


def test_next_action_opens_filtered_findings(
    qtbot: QtBot, make_window: WindowFactory, small_db: Path
) -> None:
    window = make_window(small_db)
    qtbot.mouseClick(window.overview.next_button, Qt.MouseButton.LeftButton)
    assert window.current_page() is Page.FINDINGS
    wait_loaded(qtbot, window)
    assert window.findings.model.rowCount() == 8
    assert window.findings.severity.currentData() == Severity.CRITICAL


def test_filters_and_search(qtbot: QtBot, make_window: WindowFactory, small_db: Path) -> None:
    window = make_window(small_db)
    page = window.findings
    window.show_page(Page.FINDINGS)
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 40
    assert page.count.text() == "40 findings"
    page.severity.setCurrentIndex(page.severity.findData(Severity.HIGH))
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 8
    qtbot.keyClicks(page.search, "token 000011")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5_000)
    assert page.count.text() == "1 finding"
    page.search.clear()
    page.severity.setCurrentIndex(0)
    page.status.setCurrentIndex(page.status.findData(Status.REVOKED))
    wait_loaded(qtbot, window)
    assert page.table_stack.currentWidget() is page.empty
    qtbot.mouseClick(page.empty_button, Qt.MouseButton.LeftButton)  # "Clear filters"
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 40


def _answer_note_dialog(text: str, accept: bool = True) -> list[bool]:
    """Fill the next NoteDialog that opens; records whether OK was enabled before typing."""
    seen: list[bool] = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, NoteDialog):
            QTimer.singleShot(20, fill)
            return
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        seen.append(ok.isEnabled())
        dialog.note.setPlainText(text)
        seen.append(ok.isEnabled())
        if accept:
            ok.click()
        else:
            dialog.reject()

    QTimer.singleShot(0, fill)
    return seen


def test_bulk_resolve_with_note(qtbot: QtBot, make_window: WindowFactory, small_db: Path) -> None:
    window = make_window(small_db)
    page = window.findings
    window.show_page(Page.FINDINGS)
    wait_loaded(qtbot, window)
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(page.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    ids = page.table.selected_ids()
    assert len(ids) == 3
    assert page.selection_label.text() == "3 selected"

    seen = _answer_note_dialog("test fixture, not a real key")
    qtbot.mouseClick(page.bulk_buttons[Status.FALSE_POSITIVE], Qt.MouseButton.LeftButton)
    assert seen == [False, True]  # OK stays disabled until a note is written
    wait_loaded(qtbot, window)
    service = AuditService(db_path=small_db)
    for fid in ids:
        finding = service.finding(fid)
        assert finding.status is Status.FALSE_POSITIVE
        assert finding.events[-1].note == "test fixture, not a real key"
    service.close()
    assert window.overview.summary is not None
    assert window.overview.summary.by_status[Status.FALSE_POSITIVE] == 3

    # Cancelling the dialog changes nothing.
    page.table.selectRow(5)
    fid = page.table.selected_ids()[0]
    _answer_note_dialog("", accept=False)
    assert not page.resolve_selected(Status.ACCEPTED)
    service = AuditService(db_path=small_db)
    assert service.finding(fid).status is Status.OPEN
    service.close()


def test_detail_pane_shows_evidence_locations_guide_history(
    qtbot: QtBot, make_window: WindowFactory, small_db: Path
) -> None:
    window = make_window(small_db)
    page = window.findings
    window.show_page(Page.FINDINGS)
    wait_loaded(qtbot, window)
    page.table.selectRow(2)
    detail = page.detail
    assert detail.finding is not None
    assert detail.finding.id == page.model.finding_id(2)
    assert "redacted context line" in detail.evidence.toPlainText()
    assert detail.locations.count() == 1
    assert (
        detail.locations.item(0).text().startswith("File") or "·" in detail.locations.item(0).text()
    )
    guide = detail.guide.guide
    assert guide is not None and guide.id == detail.finding.guide
    assert detail.guide.heading.text() == guide.title
    assert detail.guide.steps.text().startswith("<b>1.</b>")
    assert "Open" in detail.history.text()
    assert detail.copy_path.isEnabled()
    qtbot.mouseClick(detail.copy_path, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text().endswith(".txt")

    _answer_note_dialog("deleted in the provider console")
    qtbot.mouseClick(detail.revoke_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: detail.finding is not None and detail.finding.status is Status.REVOKED)
    assert "deleted in the provider console" in detail.history.text()
    assert detail.reopen_button.isEnabled()
    assert page.model.index(page.model.row_of(detail.finding.id), FindingColumn.STATUS).data() == (
        "Revoked"
    )


def test_checklist_saves_answers(
    qtbot: QtBot, make_window: WindowFactory, db_path: Path, profile_path: Path
) -> None:
    window = make_window(db_path, profile_path)
    page = window.checklist
    assert "ex-vpn" in page.rows  # the profile's own item
    assert "revoke-credentials" in page.rows
    window.show_page(Page.CHECKLIST)
    row = page.rows["ex-vpn"]
    row.done.click()
    row.note.setText("profile deleted from NetworkManager")
    row.note.editingFinished.emit()
    service = AuditService(db_path=db_path)
    done, note, _at = service.checklist_answers()["ex-vpn"]
    service.close()
    assert done
    assert note == "profile deleted from NetworkManager"
    assert page.progress_label.text() == f"1 of {len(page.rows)} done"
    assert row.saved.text().startswith("saved")
    assert window.overview.summary is not None
    assert window.overview.summary.checklist_done == 1


def test_drop_profile_loads_it(
    qtbot: QtBot, make_window: WindowFactory, db_path: Path, profile_path: Path
) -> None:
    window = make_window(db_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(profile_path))])
    with qtbot.waitSignal(window.context.profile_changed):
        event = QDropEvent(
            QPoint(100, 100).toPointF(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        window.dropEvent(event)
    assert window.context.profile is not None
    assert window.context.profile.client == "Example Labs"
    assert "Example Labs" in window.scan.profile_text.text()
    assert window.banner.isVisible()
    assert window.context.settings.last_profile == profile_path


def test_bad_profile_is_a_banner_not_a_traceback(
    make_window: WindowFactory, db_path: Path, tmp_path: Path
) -> None:
    window = make_window(db_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[engagement]\nclient = 'x'\nbogus = 1\n", encoding="utf-8")
    assert not window.context.load_profile(bad)
    assert window.banner.isVisible()
    assert window.banner.property("kind") == "error"
    assert "bad.toml" in window.banner.message.text()
    window.show_error(ProfileError("x.toml: line 3: unknown key"))
    assert "Ask IT" in window.banner.message.text()


def test_unexpected_error_writes_crash_log(
    qtbot: QtBot, make_window: WindowFactory, db_path: Path, tmp_path: Path
) -> None:
    from desktop_audit.gui.errors import install_excepthook, report_crash

    window = make_window(db_path)
    shown: list[BaseException] = []
    restore = install_excepthook(shown.append)
    try:
        import sys

        sys.excepthook(RuntimeError, RuntimeError("boom"), None)
    finally:
        restore()
    assert isinstance(shown[0], RuntimeError)
    path = report_crash(RuntimeError("secret-looking text"), window, tmp_path)
    text = path.read_text()
    assert "RuntimeError" in text
    assert "secret-looking" not in text
    for widget in QApplication.topLevelWidgets():
        if widget.windowTitle() == "Something went wrong":
            widget.close()


def test_theme_toggle_and_geometry_remembered(make_window: WindowFactory, db_path: Path) -> None:
    from desktop_audit.gui.settings import ThemeMode

    window = make_window(db_path)
    window.theme_actions[ThemeMode.DARK].trigger()
    assert window.context.settings.theme is ThemeMode.DARK
    assert QApplication.palette().window().color().lightness() < 80
    window.theme_actions[ThemeMode.LIGHT].trigger()
    assert QApplication.palette().window().color().lightness() > 200
    window.resize(1100, 700)
    window.close()
    assert window.context.settings.geometry is not None


def test_controls_have_accessible_names(make_window: WindowFactory, small_db: Path) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

    window = make_window(small_db)
    unnamed = []
    for kind in (QAbstractButton, QComboBox, QLineEdit):
        for widget in window.findChildren(kind):
            if widget.objectName().startswith("qt_") or type(widget).__name__ == "QToolButton":
                continue  # Qt's own parts (corner button, clear button, menu extension)
            text = widget.text() if isinstance(widget, QAbstractButton) else ""
            if not (widget.accessibleName() or text):
                unnamed.append(f"{type(widget).__name__} {widget.objectName()}")
    assert unnamed == []
