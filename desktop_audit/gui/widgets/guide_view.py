"""GuideView: a provider's revocation guide — console link, steps, CLI, what else, how to verify."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from desktop_audit.app.frontend import Guide
from desktop_audit.gui.widgets.cards import Card, label


def numbered(items: tuple[str, ...]) -> str:
    """Rich text: ``1. step`` lines (escaped; `code` spans kept readable)."""
    return "<br>".join(f"<b>{n}.</b>&nbsp;{_inline(text)}" for n, text in enumerate(items, start=1))


def bulleted(items: tuple[str, ...]) -> str:
    return "<br>".join(f"•&nbsp;{_inline(text)}" for text in items)


def _inline(text: str) -> str:
    """Escape, and show `backticked` parts in the monospace font."""
    parts = html.escape(text).split("`")
    return "".join(
        f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts)
    )


class GuideView(Card):
    """Renders one :class:`Guide`; falls back to a short generic text when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("How to revoke it", parent)
        self.guide: Guide | None = None
        self.setAccessibleName("Revocation guide")
        self.heading = label("", "Strong", wrap=True)
        self.summary = label("", wrap=True)
        self.console_button = QPushButton("Open the provider console")
        self.console_button.setObjectName("Primary")
        self.console_button.setAccessibleName("Open the provider's console in the web browser")
        self.console_button.clicked.connect(self.open_console)
        console_row = QHBoxLayout()
        console_row.addWidget(self.console_button)
        console_row.addStretch(1)
        self.steps_title = label("Steps", "Subhead")
        self.steps = label("", wrap=True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.cli_title = label("Commands (run them yourself)", "Subhead")
        self.cli = QPlainTextEdit()
        self.cli.setReadOnly(True)
        self.cli.setObjectName("Code")
        self.cli.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.cli.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.cli.setAccessibleName("Command-line steps")
        self.copy_cli = QPushButton("Copy commands")
        self.copy_cli.setAccessibleName("Copy the command-line steps")
        self.copy_cli.clicked.connect(self.copy_commands)
        cli_row = QHBoxLayout()
        cli_row.addStretch(1)
        cli_row.addWidget(self.copy_cli)
        self.also_title = label("Also check", "Subhead")
        self.also = label("", wrap=True)
        self.verify_title = label("How to verify it is dead", "Subhead")
        self.verify = label("", wrap=True)
        self.contact = label("", "Muted", wrap=True)
        self.source = label("", "Muted", wrap=True)
        self.body.addWidget(self.heading)
        self.body.addWidget(self.summary)
        self.body.addLayout(console_row)
        middle: tuple[QWidget, ...] = (self.steps_title, self.steps, self.cli_title, self.cli)
        for widget in middle:
            self.body.addWidget(widget)
        self.body.addLayout(cli_row)
        tail: tuple[QLabel, ...] = (
            self.also_title,
            self.also,
            self.verify_title,
            self.verify,
            self.contact,
            self.source,
        )
        for item in tail:
            self.body.addWidget(item)
        self._cli_row_widgets: tuple[QWidget, ...] = (self.cli_title, self.cli, self.copy_cli)

    def show_guide(self, guide: Guide | None, fallback: str = "", contact: str = "") -> None:
        self.guide = guide
        has = guide is not None
        for text in (self.heading, self.steps_title, self.steps, self.verify_title, self.verify):
            text.setVisible(has)
        if guide is None:
            self.summary.setText(fallback)
            for hidden in (*self._cli_row_widgets, self.also_title, self.also):
                hidden.setVisible(False)
            self.console_button.setVisible(False)
            self.source.setText("No written guide for this provider yet.")
        else:
            self.heading.setText(guide.title)
            self.summary.setText(guide.summary)
            self.console_button.setVisible(bool(guide.console_url))
            self.console_button.setToolTip(guide.console_url)
            self.steps.setText(numbered(guide.steps))
            self.cli.setPlainText("\n".join(guide.cli))
            lines = max(1, min(len(guide.cli), 6))
            metrics = self.cli.fontMetrics()
            self.cli.setFixedHeight(lines * metrics.lineSpacing() + 22)
            for shown in self._cli_row_widgets:
                shown.setVisible(bool(guide.cli))
            self.also.setText(bulleted(guide.also_check))
            self.also_title.setVisible(bool(guide.also_check))
            self.also.setVisible(bool(guide.also_check))
            self.verify.setText(bulleted(guide.verify))
            self.source.setText(f"Guide: {guide.id}")
        self.contact.setVisible(bool(contact))
        self.contact.setText(
            f"Questions, or can't revoke it yourself? Contact the client's security team:"
            f" <b>{html.escape(contact)}</b>"
            if contact
            else ""
        )

    def open_console(self) -> bool:
        if self.guide is None or not self.guide.console_url:
            return False
        return QDesktopServices.openUrl(QUrl(self.guide.console_url))

    def copy_commands(self) -> None:
        QGuiApplication.clipboard().setText(self.cli.toPlainText())


__all__ = ["GuideView", "bulleted", "numbered"]
