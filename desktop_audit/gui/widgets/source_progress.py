"""SourceProgressRow: one source's bar, counts and current item during a scan."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from desktop_audit.gui.summary import human_bytes
from desktop_audit.gui.widgets.cards import label
from desktop_audit.progress import ProgressEvent


class SourceProgressRow:
    """Widgets for one source group placed on a grid row (name, bar, counts, current item)."""

    def __init__(self, title: str, grid: QGridLayout, row: int, parent: QWidget) -> None:
        self.title = QLabel(f"<b>{title}</b>", parent)
        self.bar = QProgressBar(parent)
        self.bar.setAccessibleName(f"{title} progress")
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(10)
        self.counts = label("waiting", "Muted")
        self.current = label("", "Muted")
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.current.setMinimumWidth(10)
        grid.addWidget(self.title, row * 2, 0)
        grid.addWidget(self.bar, row * 2, 1)
        grid.addWidget(self.counts, row * 2, 2)
        grid.addWidget(self.current, row * 2 + 1, 1, 1, 2)
        self.done = 0
        self.hits = 0
        self.finished = False

    def reset(self, enabled: bool) -> None:
        self.done = 0
        self.hits = 0
        self.finished = False
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.counts.setText("waiting" if enabled else "skipped")
        self.current.setText("")
        for widget in (self.title, self.bar, self.counts):
            widget.setEnabled(enabled)

    def update(self, event: ProgressEvent) -> None:
        # The engine's closing event carries hits but done=0: keep the best counts seen.
        self.done = max(self.done, event.done)
        self.hits = max(self.hits, event.hits)
        if event.finished:
            self.finished = True
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
        elif event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(min(event.done, event.total))
        elif self.bar.maximum() != 0:
            self.bar.setRange(0, 0)  # busy: the total is not known
        size = f" · {human_bytes(event.bytes_done)}" if event.bytes_done else ""
        hits = f" · {self.hits:,} hits" if self.hits else ""
        state = "done · " if self.finished else ""
        self.counts.setText(f"{state}{self.done:,} items{size}{hits}")
        if event.current:
            metrics = self.current.fontMetrics()
            width = max(self.current.width(), 300)
            self.current.setText(
                metrics.elidedText(event.current, Qt.TextElideMode.ElideMiddle, width)
            )
        elif self.finished:
            self.current.setText("")

    def stop(self) -> None:
        """The scan ended: a busy bar becomes still."""
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
            self.bar.setValue(1 if self.finished else 0)
