"""AppContext: what every page shares (service, settings, profile) and the app-wide signals."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_audit.app.remediation import Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.gui.settings import GuiSettings
from desktop_audit.profile import Profile


class Page(StrEnum):
    """The main window's pages, in sidebar order (also the ``--page`` names)."""

    OVERVIEW = "overview"
    SCAN = "scan"
    FINDINGS = "findings"
    CHECKLIST = "checklist"
    REPORT = "report"


class AppContext(QObject):
    """Shared state. Pages listen to the signals instead of calling each other."""

    profile_changed = Signal(object)  # Profile | None
    data_changed = Signal()  # findings, statuses or checklist answers changed
    error = Signal(object)  # an exception to show to the user
    navigate = Signal(str)  # a Page name
    show_findings = Signal(object)  # a FindingFilter to apply on the Findings page

    def __init__(
        self,
        service: AuditService,
        settings: GuiSettings,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.settings = settings
        self.pool = pool or QThreadPool.globalInstance()
        self.profile: Profile | None = None
        self.profile_path: Path | None = None
        self._remediation: Remediation | None = None

    def remediation(self) -> Remediation:
        """The clean-up service for the loaded profile (guides, plans, undo, online checks)."""
        if self._remediation is None or self._remediation.profile_path != self.profile_path:
            self._remediation = Remediation(self.service, profile_path=self.profile_path)
        return self._remediation

    @property
    def home(self) -> str | None:
        """The home of the last scan (to show paths as ``~/...``)."""
        last = self.service.last_scan()
        return last.home if last else None

    def load_profile(self, path: Path) -> bool:
        """Load an engagement profile; on error emit :attr:`error` and keep the old one."""
        try:
            profile = self.service.load_profile(path)
        except Exception as exc:  # shown as a banner by the window
            self.error.emit(exc)
            return False
        self.profile = profile
        self.profile_path = path
        self.settings.last_profile = path
        self.profile_changed.emit(profile)
        return True

    def clear_profile(self) -> None:
        self.profile = None
        self.profile_path = None
        self.settings.last_profile = None
        self.profile_changed.emit(None)
