"""Page headers, cards and number tiles: the building blocks of every page."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget


def label(text: str, role: str = "", *, wrap: bool = False) -> QLabel:
    """A QLabel styled by ``role`` (object name: PageTitle, Muted, SectionTitle, ...)."""
    widget = QLabel(text)
    if role:
        widget.setObjectName(role)
    widget.setWordWrap(wrap)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


class PageHeader(QWidget):
    """A page's title and one line saying what the page is for."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(2)
        self.title = label(title, "PageTitle")
        self.subtitle = label(subtitle, "PageSubtitle", wrap=True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)


def scrolling_page_layout(
    page: QWidget, title: str, subtitle: str, *, horizontal_scroll: bool = True
) -> QVBoxLayout:
    """Give ``page`` a scroll area holding a padded column that opens with its header; return
    that column's layout for the page's cards."""
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    if not horizontal_scroll:
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    outer.addWidget(scroll)
    content = QWidget()
    scroll.setWidget(content)
    layout = QVBoxLayout(content)
    layout.setContentsMargins(32, 28, 32, 28)
    layout.setSpacing(16)
    layout.addWidget(PageHeader(title, subtitle))
    return layout


class Card(QFrame):
    """A rounded panel with a vertical layout (``card.body``) and an optional title."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(18, 16, 18, 16)
        self.body.setSpacing(8)
        if title:
            self.body.addWidget(label(title, "SectionTitle"))


class StatTile(Card):
    """A number with a caption and a coloured accent stripe (severity counts and the like)."""

    def __init__(self, caption: str, colour: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.body.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.stripe = QFrame()
        self.stripe.setFixedWidth(5)
        if colour:
            self.stripe.setStyleSheet(
                f"background: {colour}; border-top-left-radius: 9px;"
                " border-bottom-left-radius: 9px;"
            )
        inner = QVBoxLayout()
        inner.setContentsMargins(14, 10, 14, 10)
        inner.setSpacing(0)
        self.number = label("0", "BigNumber")
        self.caption = label(caption, "Muted")
        inner.addWidget(self.number)
        inner.addWidget(self.caption)
        row.addWidget(self.stripe)
        row.addLayout(inner, 1)
        self.body.addLayout(row)
        self.setAccessibleName(caption)

    def set_value(self, value: int) -> None:
        self.number.setText(f"{value:,}")
        self.setAccessibleDescription(f"{value} {self.caption.text()}")
