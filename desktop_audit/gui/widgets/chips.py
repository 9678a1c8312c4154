"""Coloured chips for severity and status: a label widget and a table delegate."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

ChipRole = Qt.ItemDataRole.UserRole + 10  # the chip colour ("#rrggbb") of a cell


def chip_style(colour: str) -> str:
    return (
        f"background: {colour}; color: #ffffff; border-radius: 9px; padding: 1px 9px;"
        " font-weight: 600; font-size: 9pt;"
    )


class Chip(QLabel):
    """A small rounded label in a solid colour."""

    def __init__(self, text: str = "", colour: str = "#7a8697", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.set_chip(text, colour)

    def set_chip(self, text: str, colour: str) -> None:
        self.setText(text)
        self.setStyleSheet(chip_style(colour))
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), self.sizePolicy().verticalPolicy())
        self.setAccessibleName(text)


class ChipDelegate(QStyledItemDelegate):
    """Paints a cell's text as a chip in the colour the model gives on :data:`ChipRole`."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        colour = index.data(ChipRole)
        if not colour:
            super().paint(painter, option, index)
            return
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        style = option.widget.style() if option.widget else None
        if style is not None:
            plain = QStyleOptionViewItem(option)
            self.initStyleOption(plain, index)
            plain.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, plain.widget)
        rect: QRect = option.rect
        font = option.font
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + 18
        height = metrics.height() + 4
        chip = QRect(rect.left() + 6, rect.center().y() - height // 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(str(colour)))
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(font)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
