"""The passphrase prompt the service calls when no OS keyring is available."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget


class PassphraseDialogPrompt:
    """Asks once on the GUI thread and remembers the answer in memory for worker threads."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent
        self._cached = ""

    def __call__(self, text: str) -> str:
        app = QCoreApplication.instance()
        on_gui_thread = app is not None and QThread.currentThread() is app.thread()
        if self._cached or not on_gui_thread:
            return self._cached
        value, ok = QInputDialog.getText(
            self.parent,
            "Unlock the local database",
            "No OS keyring is available, so a passphrase protects the local database.\n"
            + text.strip(),
            QLineEdit.EchoMode.Password,
        )
        self._cached = value if ok else ""
        return self._cached
