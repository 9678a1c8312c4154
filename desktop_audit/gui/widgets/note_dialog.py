"""Ask for the note that goes with a status change (required for false positive/accepted)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.gui.theme import STATUS_LABELS
from desktop_audit.models import Status

_HINTS = {
    Status.REVOKED: "Say where and how it was revoked (optional), e.g. “deleted key in AWS IAM”.",
    Status.REMOVED: "Say how the copies were removed (optional).",
    Status.FALSE_POSITIVE: "Required: say why this is not a real credential.",
    Status.ACCEPTED: "Required: say why it may stay (who agreed, until when).",
    Status.OPEN: "Say why the finding is open again (optional).",
}


class NoteDialog(QDialog):
    """A note editor whose OK button stays disabled while a required note is empty."""

    def __init__(self, status: Status, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = status
        noun = "finding" if count == 1 else "findings"
        self.setWindowTitle(f"Mark {count} {noun} as {STATUS_LABELS[status].lower()}")
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        heading = QLabel(f"Mark {count:,} {noun} as <b>{STATUS_LABELS[status].lower()}</b>")
        hint = QLabel(_HINTS[status])
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Note (kept in the audit trail and the report)")
        self.note.setMinimumSize(420, 110)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for widget in (heading, hint, self.note, self.buttons):
            layout.addWidget(widget)
        self.note.textChanged.connect(self._update)
        self._update()
        self.note.setFocus()

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.text()) or not self.status.needs_note)

    def text(self) -> str:
        return self.note.toPlainText().strip()
