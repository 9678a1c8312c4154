"""ScanPage: profile, scope, folders, and a scan running in a worker with live progress."""

from __future__ import annotations

import html
import time
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.app.service import ScanOutcome, ScanRequest
from desktop_audit.gui.context import AppContext, Page
from desktop_audit.gui.gc_policy import full_collections_deferred
from desktop_audit.gui.pages.overview import choose_profile
from desktop_audit.gui.widgets.cards import Card, label, scrolling_page_layout
from desktop_audit.gui.widgets.source_progress import SourceProgressRow
from desktop_audit.gui.workers import ServiceRunnable, start
from desktop_audit.models import ScanStatus, SourceGroup
from desktop_audit.profile import Profile
from desktop_audit.progress import CancelToken, ProgressCallback, ProgressEvent

GROUP_TEXT: dict[SourceGroup, tuple[str, str]] = {
    SourceGroup.GIT: ("Git history", "every repository: commits, stashes, reflogs, lost objects"),
    SourceGroup.DOTFILES: ("Dotfiles", "~/.aws, ~/.npmrc, ~/.netrc, ~/.docker and similar"),
    SourceGroup.HISTORY: ("Shell history", "bash, zsh and fish history files"),
    SourceGroup.FILES: ("Files", "documents, configs and code in the folders below"),
    SourceGroup.KEYCHAIN: ("Keychain", "OS keychain items (values read in memory only)"),
}


def profile_summary(profile: Profile | None, path: Path | None) -> str:
    if profile is None:
        return (
            "No profile loaded. Without one, only well-known credential formats are found; the"
            " profile from IT adds the client's domains, hosts and own token formats."
        )
    return (
        f"<b>{html.escape(profile.client)}</b> · contract {html.escape(profile.contract_id)}<br>"
        f"{len(profile.domains)} domains · {len(profile.hosts)} host patterns ·"
        f" {len(profile.keywords)} keywords · {len(profile.cidrs)} IP ranges<br>"
        f"{len(profile.rules)} client rules · {len(profile.checklist)} checklist items<br>"
        f"<span>{html.escape(str(path or profile.source_path))}</span>"
    )


class ScanPage(QWidget):
    """Start and cancel scans; the scan itself runs in a :class:`ServiceRunnable`."""

    scan_finished = Signal(object)  # ScanOutcome
    scan_failed = Signal(object)  # Exception

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        self.runnable: ServiceRunnable | None = None
        self._started = 0.0
        layout = scrolling_page_layout(
            self,
            "Scan",
            "Choose what to read, then start. Everything stays on this machine; you can"
            " cancel at any time and keep what was found.",
        )

        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(16)
        right = QVBoxLayout()
        right.setSpacing(16)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout.addLayout(columns)

        profile_card = Card("Engagement profile")
        self.profile_text = label("", wrap=True)
        profile_buttons = QHBoxLayout()
        self.profile_button = QPushButton("Choose profile…")
        self.profile_button.setAccessibleName("Choose engagement profile")
        self.clear_profile_button = QPushButton("Clear")
        self.clear_profile_button.setAccessibleName("Clear engagement profile")
        profile_buttons.addWidget(self.profile_button)
        profile_buttons.addWidget(self.clear_profile_button)
        profile_buttons.addStretch(1)
        profile_card.body.addWidget(self.profile_text)
        profile_card.body.addLayout(profile_buttons)
        left.addWidget(profile_card)

        scope = Card("What to read")
        self.group_boxes: dict[SourceGroup, QCheckBox] = {}
        chosen = set(context.settings.scan_groups)
        for group, (title, text) in GROUP_TEXT.items():
            box = QCheckBox(f"{title} — {text}")
            box.setAccessibleName(f"Scan {title}")
            box.setChecked(group in chosen)
            box.toggled.connect(self._scope_changed)
            self.group_boxes[group] = box
            scope.body.addWidget(box)
        self.full_box = QCheckBox("Full scan — also read what earlier scans read unchanged")
        self.full_box.setAccessibleName("Full scan: read unchanged files and git objects again")
        self.full_box.setToolTip(
            "By default a rescan reads only files and git objects that changed since an earlier"
            " scan with the same rules; their earlier results are kept."
        )
        scope.body.addSpacing(6)
        scope.body.addWidget(
            label(
                "A rescan reads only what changed since an earlier scan with the same rules.",
                "Muted",
            )
        )
        scope.body.addWidget(self.full_box)
        left.addWidget(scope)

        where = Card("Where")
        home_row = QHBoxLayout()
        self.home = QLineEdit(str(context.settings.scan_home or Path.home()))
        self.home.setAccessibleName("Home directory to audit")
        self.home_button = QPushButton("Browse…")
        self.home_button.setAccessibleName("Choose home directory")
        home_row.addWidget(label("Home", "Muted"))
        home_row.addWidget(self.home, 1)
        home_row.addWidget(self.home_button)
        where.body.addLayout(home_row)
        where.body.addWidget(
            label("Folders to search for repositories and files (empty: the home)", "Muted")
        )
        self.roots = QListWidget()
        self.roots.setObjectName("Plain")
        self.roots.setAccessibleName("Folders to search")
        self.roots.setMaximumHeight(90)
        for root in context.settings.scan_roots:
            self.roots.addItem(str(root))
        root_buttons = QHBoxLayout()
        self.add_root_button = QPushButton("Add folder…")
        self.add_root_button.setAccessibleName("Add folder to search")
        self.remove_root_button = QPushButton("Remove")
        self.remove_root_button.setAccessibleName("Remove selected folder")
        root_buttons.addWidget(self.add_root_button)
        root_buttons.addWidget(self.remove_root_button)
        root_buttons.addStretch(1)
        where.body.addWidget(self.roots)
        where.body.addLayout(root_buttons)
        left.addWidget(where)
        left.addStretch(1)

        progress = Card("Progress")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        self.rows: dict[str, SourceProgressRow] = {}
        for index, (group, (title, _text)) in enumerate(GROUP_TEXT.items()):
            self.rows[group.value] = SourceProgressRow(title, grid, index, progress)
        progress.body.addLayout(grid)
        self.elapsed = label("Not started", "Muted")
        self.result = label("", wrap=True)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start scan")
        self.start_button.setObjectName("Primary")
        self.start_button.setAccessibleName("Start scan")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel scan")
        self.cancel_button.setEnabled(False)
        self.view_button = QPushButton("View findings")
        self.view_button.setVisible(False)
        buttons.addWidget(self.elapsed, 1)
        buttons.addWidget(self.view_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        progress.body.addWidget(self.result)
        progress.body.addLayout(buttons)
        right.addWidget(progress)
        right.addStretch(1)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)
        self.profile_button.clicked.connect(lambda: choose_profile(context, self))
        self.clear_profile_button.clicked.connect(context.clear_profile)
        self.home_button.clicked.connect(self._choose_home)
        self.add_root_button.clicked.connect(self._add_root)
        self.remove_root_button.clicked.connect(self._remove_root)
        self.start_button.clicked.connect(self.start_scan)
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.view_button.clicked.connect(lambda: context.navigate.emit(Page.FINDINGS))
        self.roots.currentRowChanged.connect(lambda _r: self._update_buttons())
        context.profile_changed.connect(self._show_profile)
        self._show_profile(context.profile)
        self._reset_rows()
        self._update_buttons()

    # ------------------------------------------------------------- settings
    @property
    def running(self) -> bool:
        return self.runnable is not None

    def groups(self) -> tuple[SourceGroup, ...]:
        return tuple(g for g, box in self.group_boxes.items() if box.isChecked())

    def root_paths(self) -> tuple[Path, ...]:
        return tuple(Path(self.roots.item(i).text()) for i in range(self.roots.count()))

    def set_home(self, path: Path) -> None:
        self.home.setText(str(path))

    def set_roots(self, roots: tuple[Path, ...]) -> None:
        self.roots.clear()
        for root in roots:
            self.roots.addItem(str(root))
        self._update_buttons()

    def _show_profile(self, profile: Profile | None) -> None:
        self.profile_text.setText(profile_summary(profile, self._context.profile_path))
        self.clear_profile_button.setEnabled(profile is not None and not self.running)

    def _scope_changed(self) -> None:
        self._reset_rows()
        self._update_buttons()

    def _choose_home(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Home directory to audit", self.home.text())
        if path:
            self.home.setText(path)

    def _add_root(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder to search", self.home.text())
        if path and path not in {str(p) for p in self.root_paths()}:
            self.roots.addItem(path)
        self._update_buttons()

    def _remove_root(self) -> None:
        row = self.roots.currentRow()
        if row >= 0:
            self.roots.takeItem(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self.running
        self.start_button.setEnabled(idle and bool(self.groups()))
        self.start_button.setToolTip("" if self.groups() else "Choose at least one thing to read")
        self.cancel_button.setEnabled(not idle)
        for widget in (
            self.profile_button,
            self.home,
            self.home_button,
            self.add_root_button,
            self.roots,
            *self.group_boxes.values(),
        ):
            widget.setEnabled(idle)
        self.remove_root_button.setEnabled(idle and self.roots.currentRow() >= 0)
        self.clear_profile_button.setEnabled(idle and self._context.profile is not None)

    def _reset_rows(self) -> None:
        chosen = {g.value for g in self.groups()}
        for name, row in self.rows.items():
            row.reset(name in chosen)

    # ----------------------------------------------------------------- scan
    def request(self) -> ScanRequest:
        return ScanRequest(
            home=Path(self.home.text().strip() or Path.home()),
            roots=self.root_paths(),
            groups=self.groups(),
            profile_path=self._context.profile_path,
            reuse=not self.full_box.isChecked(),
        )

    def start_scan(self) -> ServiceRunnable | None:
        """Start a scan in the thread pool; returns the runnable (None if it could not start)."""
        if self.running or not self.groups():
            return None
        request = self.request()
        service = self._context.service
        try:
            _ = service.secrecy  # unlock on the GUI thread: a passphrase prompt may be needed
        except Exception as exc:
            self._context.error.emit(exc)
            return None
        settings = self._context.settings
        settings.scan_groups = request.groups
        settings.scan_home = request.home
        settings.scan_roots = request.roots

        def task(progress: ProgressCallback, cancel: CancelToken) -> ScanOutcome:
            # A full collection mid-scan stalls the GUI for 50-120 ms and frees nothing.
            with full_collections_deferred():
                return service.scan(request, progress=progress, cancel=cancel)

        runnable = ServiceRunnable(task)
        runnable.signals.progress.connect(self._on_progress)
        runnable.signals.finished.connect(self._on_finished)
        runnable.signals.failed.connect(self._on_failed)
        self.runnable = runnable
        self._reset_rows()
        self.result.setText("")
        self.view_button.setVisible(False)
        self._started = time.monotonic()
        self._timer.start()
        self._tick()
        self._update_buttons()
        start(runnable, self._context.pool)
        return runnable

    def cancel_scan(self) -> None:
        if self.runnable is not None:
            self.runnable.cancel()
            self.cancel_button.setEnabled(False)
            self.elapsed.setText("Cancelling — keeping what was found…")

    def _tick(self) -> None:
        seconds = int(time.monotonic() - self._started)
        self.elapsed.setText(f"Scanning… {seconds // 60}:{seconds % 60:02d} elapsed")

    def _on_progress(self, events: tuple[ProgressEvent, ...]) -> None:
        for event in events:
            row = self.rows.get(event.source)
            if row is not None:
                row.update(event)

    def _end(self) -> None:
        self._timer.stop()
        self.runnable = None
        for row in self.rows.values():
            row.stop()
        self._update_buttons()

    def _on_finished(self, outcome: ScanOutcome) -> None:
        seconds = time.monotonic() - self._started
        self._end()
        scan = outcome.scan
        found = len(outcome.findings)
        if scan.status is ScanStatus.CANCELLED:
            head = f"Scan cancelled after {seconds:.0f} s — {found:,} findings kept."
        else:
            head = (
                f"Scan complete in {seconds:.0f} s — {found:,} findings"
                f" ({outcome.new_findings:,} new)."
            )
        problems = len(scan.errors)
        tail = f" {problems} item(s) could not be read." if problems else ""
        self.result.setText(f"<b>{head}</b>{tail}")
        self.elapsed.setText(f"Finished in {seconds:.1f} s")
        self.view_button.setVisible(found > 0)
        self._context.data_changed.emit()
        self.scan_finished.emit(outcome)

    def _on_failed(self, exc: Exception) -> None:
        self._end()
        self.elapsed.setText("Scan stopped")
        self.result.setText("<b>The scan could not finish.</b> See the message above.")
        self._context.error.emit(exc)
        self._context.data_changed.emit()
        self.scan_failed.emit(exc)
