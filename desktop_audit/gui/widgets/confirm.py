"""ConfirmDialog: a question, what will happen, and two clearly named buttons (opened modally)."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.gui.widgets.cards import label


class ConfirmDialog(QDialog):
    """``accepted`` when the user presses the action button; ``details`` shown monospace."""

    def __init__(
        self,
        title: str,
        question: str,
        explanation: str,
        action_text: str,
        details: str = "",
        parent: QWidget | None = None,
        *,
        can_accept: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.question = label(question, "SectionTitle", wrap=True)
        self.explanation = label(explanation, wrap=True)
        layout.addWidget(self.question)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setObjectName("Code")
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setAccessibleName("What will change (secrets redacted)")
        self.details.setVisible(bool(details))
        self.details.setMaximumHeight(220)
        layout.addWidget(self.details)
        layout.addWidget(self.explanation)
        buttons = QDialogButtonBox()
        self.action_button: QPushButton | None = None
        if can_accept:
            self.action_button = buttons.addButton(
                action_text, QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.action_button.setObjectName("Primary")
            self.action_button.setAccessibleName(action_text)
        cancel = buttons.addButton(
            "Cancel" if can_accept else "Close", QDialogButtonBox.ButtonRole.RejectRole
        )
        cancel.setAccessibleName("Cancel" if can_accept else "Close")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if self.action_button is not None:
            self.action_button.setDefault(False)
            cancel.setDefault(True)  # Enter never changes files by accident
