"""Start the desktop app, or render one page to a PNG (``--screenshot``) and exit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSize, QThreadPool
from PySide6.QtWidgets import QApplication

from desktop_audit.app.service import AuditService
from desktop_audit.gui.context import AppContext, Page
from desktop_audit.gui.errors import install_excepthook
from desktop_audit.gui.gc_policy import freeze_startup_objects
from desktop_audit.gui.icons import icon
from desktop_audit.gui.main_window import MainWindow
from desktop_audit.gui.passphrase import PassphraseDialogPrompt
from desktop_audit.gui.settings import GuiSettings
from desktop_audit.gui.theme import apply_theme

SCREENSHOT_SIZE = QSize(1280, 800)


def use_offscreen_platform() -> None:
    """Screenshots need no display: pick Qt's offscreen platform unless one was chosen.

    Must run before the QApplication exists (Qt reads QT_QPA_PLATFORM once, at start-up).
    """
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def application() -> QApplication:
    """The QApplication (created once)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("desktop-audit")
    app.setOrganizationName("desktop-audit")
    app.setDesktopFileName("io.github.desktop_audit.DesktopAudit")
    return app


def build_window(
    db: Path | None,
    profile: Path | None,
    settings: GuiSettings,
    pool: QThreadPool | None = None,
) -> MainWindow:
    """A ready window over the database ``db`` with ``profile`` (or the last one) loaded."""
    app = application()
    apply_theme(app, settings.theme)
    app.setWindowIcon(icon("app"))
    prompt = PassphraseDialogPrompt()
    service = AuditService(db_path=db, prompt=prompt)
    context = AppContext(service, settings, pool)
    window = MainWindow(context)
    prompt.parent = window
    start_profile = profile or settings.last_profile
    if start_profile is not None and (profile is not None or start_profile.is_file()):
        context.load_profile(start_profile)
        window.banner.hide()
    freeze_startup_objects()  # full collections skip the start-up objects (gc_policy.py)
    return window


def save_screenshot(window: MainWindow, path: Path) -> bool:
    """Render the window at 1280x800 into a PNG."""
    window.resize(SCREENSHOT_SIZE)
    window.show()
    app = application()
    for _ in range(5):
        app.processEvents()
    image = window.grab()
    return image.save(str(path), "PNG")


def run_gui(
    db: Path | None,
    profile: Path | None,
    page: str | None,
    screenshot: Path | None,
    settings: GuiSettings | None = None,
) -> int:
    """Run the app; with ``screenshot`` render ``page`` to that PNG and return 0 on success."""
    if screenshot is not None:
        use_offscreen_platform()
    app = application()
    settings = settings or GuiSettings.default()
    window = build_window(db, profile, settings)
    restore = install_excepthook(window.show_error)
    try:
        if page:
            window.show_page(Page(page))
        if screenshot is not None:
            ok = save_screenshot(window, screenshot)
            window.context.service.close()
            if not ok:
                print(f"desktop-audit: error: cannot write {screenshot}", file=sys.stderr)
            return 0 if ok else 2
        geometry = settings.geometry
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(SCREENSHOT_SIZE)
        window.show()
        code = app.exec()
        window.context.service.close()
        return int(code)
    finally:
        restore()
