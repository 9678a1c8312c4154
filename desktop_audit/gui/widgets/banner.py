"""A dismissable message strip: errors and notices that say what to do next."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    """Shows one message (``error`` or ``info``) with an optional action button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setProperty("kind", "info")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.action = QPushButton()
        self.action.setAccessibleName("Do the suggested next step")
        self.action.setVisible(False)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close_button)
        self._callback: Callable[[], None] | None = None
        self.action.clicked.connect(self._run_action)
        self.setAccessibleName("Message")
        self.hide()

    def show_message(
        self,
        text: str,
        kind: str = "info",
        action_text: str = "",
        action: Callable[[], None] | None = None,
    ) -> None:
        """Show ``text``; ``action_text``/``action`` add a button that does the next step."""
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.message.setText(text)
        self.setAccessibleDescription(text)
        self._callback = action
        self.action.setText(action_text)
        self.action.setVisible(bool(action_text and action))
        self.show()

    def _run_action(self) -> None:
        callback = self._callback
        self.hide()
        if callback is not None:
            callback()
