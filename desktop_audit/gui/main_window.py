"""MainWindow: sidebar, stacked pages, message banner, menus, shortcuts and drag-and-drop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.errors import AuditError
from desktop_audit.gui.context import AppContext, Page
from desktop_audit.gui.errors import report_crash, user_message
from desktop_audit.gui.icons import icon
from desktop_audit.gui.pages.checklist import ChecklistPage
from desktop_audit.gui.pages.findings import FindingsPage
from desktop_audit.gui.pages.overview import OverviewPage
from desktop_audit.gui.pages.report import ReportPage
from desktop_audit.gui.pages.scan import ScanPage
from desktop_audit.gui.settings import ThemeMode
from desktop_audit.gui.theme import apply_theme
from desktop_audit.gui.widgets.banner import Banner
from desktop_audit.gui.widgets.cards import label
from desktop_audit.gui.widgets.finding_detail import GuideLookup

PAGE_TITLES: dict[Page, str] = {
    Page.OVERVIEW: "Overview",
    Page.SCAN: "Scan",
    Page.FINDINGS: "Findings",
    Page.CHECKLIST: "Checklist",
    Page.REPORT: "Report",
}


_RETRY_MS = 1000  # a failed first read of the database is tried once more after this


class MainWindow(QMainWindow):
    """The app window. Pages talk through :class:`AppContext` signals."""

    def __init__(self, context: AppContext, guide_lookup: GuideLookup | None = None) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle("desktop-audit")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setMinimumSize(980, 640)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(200)
        for index, (page, title) in enumerate(PAGE_TITLES.items(), start=1):
            item = QListWidgetItem(icon(page.value), title)
            item.setToolTip(f"{title} (Ctrl+{index})")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
            self.sidebar.addItem(item)

        brand = QWidget()
        brand.setObjectName("SidebarPanel")
        brand_layout = QVBoxLayout(brand)
        brand_layout.setContentsMargins(18, 20, 12, 12)
        brand_layout.setSpacing(0)
        brand_row = QHBoxLayout()
        logo = label("")
        logo.setPixmap(icon("app").pixmap(QSize(28, 28)))
        brand_row.addWidget(logo)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(label("desktop-audit", "Brand"))
        titles.addWidget(label("offboarding check", "BrandSub"))
        brand_row.addLayout(titles, 1)
        brand_layout.addLayout(brand_row)
        panel = QWidget()
        panel.setObjectName("SidebarPanel")
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.setSpacing(0)
        panel_layout.addWidget(brand)
        panel_layout.addWidget(self.sidebar, 1)
        self.privacy_note = label("Nothing leaves this machine.", "BrandSub", wrap=True)
        self.privacy_note.setContentsMargins(18, 8, 12, 16)
        panel_layout.addWidget(self.privacy_note)
        panel.setFixedWidth(200)

        self.overview = OverviewPage(context)
        self.scan = ScanPage(context)
        self.findings = FindingsPage(context, guide_lookup)
        self.checklist = ChecklistPage(context)
        self.report = ReportPage(context)
        self.pages: dict[Page, QWidget] = {
            Page.OVERVIEW: self.overview,
            Page.SCAN: self.scan,
            Page.FINDINGS: self.findings,
            Page.CHECKLIST: self.checklist,
            Page.REPORT: self.report,
        }
        self.stack = QStackedWidget()
        for widget in self.pages.values():
            self.stack.addWidget(widget)

        self.banner = Banner()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        banner_holder = QHBoxLayout()
        banner_holder.setContentsMargins(24, 12, 24, 0)
        banner_holder.addWidget(self.banner)
        right_layout.addLayout(banner_holder)
        right_layout.addWidget(self.stack, 1)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(panel)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)

        self.sidebar.currentRowChanged.connect(self._row_changed)
        context.navigate.connect(lambda name: self.show_page(Page(name)))
        context.error.connect(self.show_error)
        context.profile_changed.connect(self._profile_changed)
        self._build_menus()
        self._build_shortcuts()
        if not self.refresh():
            # a store or keychain still busy at start-up (it happens under load): once more
            QTimer.singleShot(_RETRY_MS, self.refresh)
        self.show_page(Page.OVERVIEW)

    # ---------------------------------------------------------------- layout
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        load = QAction("&Load engagement profile…", self)
        load.setShortcut(QKeySequence.StandardKey.Open)
        load.triggered.connect(self._choose_profile)
        file_menu.addAction(load)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view = self.menuBar().addMenu("&View")
        for index, (page, title) in enumerate(PAGE_TITLES.items(), start=1):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index}"))
            action.triggered.connect(lambda _=False, p=page: self.show_page(p))
            view.addAction(action)
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        self.theme_actions: dict[ThemeMode, QAction] = {}
        group = QActionGroup(self)
        for mode, text in (
            (ThemeMode.SYSTEM, "Follow the system"),
            (ThemeMode.LIGHT, "Light"),
            (ThemeMode.DARK, "Dark"),
        ):
            action = QAction(text, self, checkable=True)
            action.setChecked(self.context.settings.theme is mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        refresh = QAction("&Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        view.addAction(refresh)

    def _build_shortcuts(self) -> None:
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.focus_search)

    # --------------------------------------------------------------- actions
    def show_page(self, page: Page) -> None:
        row = list(self.pages).index(page)
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)
        self.stack.setCurrentWidget(self.pages[page])

    def current_page(self) -> Page:
        return list(self.pages)[self.stack.currentIndex()]

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.stack.setCurrentIndex(row)

    def focus_search(self) -> None:
        self.show_page(Page.FINDINGS)
        self.findings.focus_search()

    def set_theme(self, mode: ThemeMode) -> None:
        self.context.settings.theme = mode
        self.theme_actions[mode].setChecked(True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, mode)

    def refresh(self) -> bool:
        """Read everything again from the database; False when that failed (shown)."""
        try:
            self.overview.refresh()
            self.findings.refresh()
            self.checklist.rebuild()
            self.report.refresh()
        except Exception as exc:
            self.show_error(exc)
            return False
        return True

    def show_error(self, exc: BaseException) -> None:
        """Expected errors become a banner; anything else a crash log and a dialog."""
        if isinstance(exc, AuditError):
            self.banner.show_message(user_message(exc), "error")
        else:
            report_crash(exc, self)

    def _choose_profile(self) -> None:
        from desktop_audit.gui.pages.overview import choose_profile  # noqa: PLC0415

        choose_profile(self.context, self)

    def _profile_changed(self, profile: object) -> None:
        if profile is not None and self.context.profile is not None:
            p = self.context.profile
            self.banner.show_message(
                f"Loaded the engagement profile for {p.client} (contract {p.contract_id}).",
                "info",
                "Start a scan",
                lambda: self.show_page(Page.SCAN),
            )

    # ------------------------------------------------------------ drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802  (Qt override)
        if _dropped_profile(event) is not None or _dropped_report(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802  (Qt override)
        path = _dropped_profile(event)
        if path is not None:
            event.acceptProposedAction()
            self.context.load_profile(path)
            return
        report = _dropped_report(event)
        if report is not None:
            event.acceptProposedAction()
            self.show_page(Page.REPORT)
            self.report.verify_file(report)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802  (Qt override)
        if self.scan.runnable is not None:
            self.scan.cancel_scan()
            self.context.pool.waitForDone(3000)
        self.context.settings.geometry = self.saveGeometry()
        self.context.settings.sync()
        super().closeEvent(event)


def _dropped_profile(event: QDragEnterEvent | QDropEvent) -> Path | None:
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".toml"):
            return Path(url.toLocalFile())
    return None


def _dropped_report(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """A dropped signed report (``.json``): verified on the Report page."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
            return Path(url.toLocalFile())
    return None
