"""ChecklistPage: the offboarding checklist (built-in items plus the profile's), saved as you go."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.gui.context import AppContext
from desktop_audit.gui.summary import when
from desktop_audit.gui.widgets.cards import Card, label, scrolling_page_layout
from desktop_audit.profile import ChecklistItem


class ChecklistItemRow(QWidget):
    """One item: a done checkbox, a note, and when it was last saved."""

    def __init__(self, item: ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(4)
        self.done = QCheckBox(item.text)
        self.done.setAccessibleName(item.text)
        self.done.setStyleSheet("font-size: 11pt;")
        row = QHBoxLayout()
        row.setContentsMargins(28, 0, 0, 0)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note (optional): what you did, when, who confirmed")
        self.note.setAccessibleName(f"Note for: {item.text}")
        self.saved = label("", "Muted")
        row.addWidget(self.note, 1)
        row.addWidget(self.saved)
        layout.addWidget(self.done)
        layout.addLayout(row)

    def set_answer(self, done: bool, note: str, at: str) -> None:
        self.done.blockSignals(True)
        self.done.setChecked(done)
        self.done.blockSignals(False)
        self.note.setText(note)
        self.saved.setText(f"saved {when(at)}" if at else "")


class ChecklistPage(QWidget):
    """Every answer is stored at once through ``service.set_checklist_answer``."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        layout = scrolling_page_layout(
            self,
            "Checklist",
            "What a scan cannot check for you. Tick each item when it is done; answers are"
            " saved at once and go into the report.",
        )
        progress = QHBoxLayout()
        self.progress_label = label("", "SectionTitle")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Checklist progress")
        progress.addWidget(self.progress_label)
        progress.addWidget(self.progress, 1)
        layout.addLayout(progress)
        self.builtin_card = Card("Every engagement")
        self.profile_card = Card("From the engagement profile")
        layout.addWidget(self.builtin_card)
        layout.addWidget(self.profile_card)
        layout.addStretch(1)
        self.rows: dict[str, ChecklistItemRow] = {}
        context.profile_changed.connect(lambda _p: self.rebuild())

    def rebuild(self) -> None:
        """Recreate the rows for the current profile and load the saved answers."""
        for row in self.rows.values():
            row.setParent(None)
            row.deleteLater()
        self.rows.clear()
        service = self._context.service
        profile = self._context.profile
        items = service.checklist_items(profile)
        profile_ids = {item.id for item in profile.checklist} if profile else set()
        for item in items:
            row = ChecklistItemRow(item)
            card = self.profile_card if item.id in profile_ids else self.builtin_card
            card.body.addWidget(row)
            row.done.toggled.connect(lambda _c, r=row: self.save(r))
            row.note.editingFinished.connect(lambda r=row: self.save(r))
            self.rows[item.id] = row
        self.profile_card.setVisible(bool(profile_ids))
        self.load_answers()

    def load_answers(self) -> None:
        answers = self._context.service.checklist_answers()
        for item_id, row in self.rows.items():
            done, note, at = answers.get(item_id, (False, "", ""))
            row.set_answer(done, note, at)
        self._update_progress()

    def save(self, row: ChecklistItemRow) -> None:
        """Store the row's answer (only when it changed)."""
        answers = self._context.service.checklist_answers()
        done, note = row.done.isChecked(), row.note.text().strip()
        old = answers.get(row.item.id)
        if old is not None and (old[0], old[1]) == (done, note):
            return
        if old is None and not done and not note:
            return
        try:
            self._context.service.set_checklist_answer(row.item.id, done, note)
        except Exception as exc:
            self._context.error.emit(exc)
            return
        saved = self._context.service.checklist_answers().get(row.item.id)
        row.saved.setText(f"saved {when(saved[2])}" if saved else "")
        self._update_progress()
        self._context.data_changed.emit()

    def _update_progress(self) -> None:
        done = sum(1 for row in self.rows.values() if row.done.isChecked())
        total = len(self.rows)
        self.progress_label.setText(f"{done} of {total} done")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
