"""CleanupPanel: remove a finding's local copy (preview, confirm, apply, rescan, undo), the
clean-up history, and the opt-in online check — every slow call in the worker pool."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from desktop_audit.app.frontend import ActionRecord, ActionStatus, LivenessResult, liveness_provider
from desktop_audit.app.remediation import ActionKind, ActionOutcome, Plan, Remediation
from desktop_audit.gui.context import AppContext
from desktop_audit.gui.summary import when
from desktop_audit.gui.widgets.cards import Card, label
from desktop_audit.gui.widgets.confirm import ConfirmDialog
from desktop_audit.gui.workers import ServiceRunnable, run_blocking
from desktop_audit.models import FindingRecord, LocationRecord

ACTION_LABELS: dict[ActionKind, str] = {
    ActionKind.REMOVE_LINES: "Remove the credential's lines from the file",
    ActionKind.DELETE_FILE: "Delete the whole file",
    ActionKind.DELETE_KEYCHAIN_ITEM: "Delete the keychain item",
    ActionKind.DROP_STASH: "Drop the git stash entry",
    ActionKind.PRUNE_UNREACHABLE: "Expire the reflog and prune unreachable objects",
    ActionKind.REWRITE_HISTORY: "Rewrite git history (shows the commands to run)",
}

BACKUP_PROMISE = (
    "Before anything changes, a backup encrypted with this installation's key is kept. You can"
    " undo this from “Clean-up history”. Afterwards the location is rescanned to prove the"
    " credential is gone. This does not revoke it: do that at the provider as well."
)

_VERDICT_TEXT = {
    "valid": ("error", "Still works at {p}. Revoke it now — follow the guide above."),
    "invalid": ("ok", "{p} rejected it: this credential no longer works."),
    "unknown": ("info", "{p} gave no clear answer"),
}


class CleanupPanel(Card):
    """The clean-up card of the finding detail pane. Emits ``changed`` after any change."""

    changed = Signal(str)  # the finding id whose state changed
    failed = Signal(object)  # an exception a worker raised (also sent to the banner)
    planned = Signal(object)  # the Plan shown in the confirmation dialog
    applied = Signal(object)  # ActionOutcome
    undone = Signal(object)  # ActionRecord
    checked = Signal(object)  # LivenessResult

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Clean up this copy", parent)
        self.setAccessibleName("Clean up")
        self._context = context
        self.finding: FindingRecord | None = None
        self.location: LocationRecord | None = None
        self.runnable: ServiceRunnable | None = None
        self.dialog: ConfirmDialog | None = None
        self.last_outcome: ActionOutcome | None = None
        self.last_check: LivenessResult | None = None

        self.intro = label(
            "Remove the selected location's copy from this machine. You see what will change"
            " first (redacted), and every change can be undone.",
            "Muted",
            wrap=True,
        )
        self.action = QComboBox()
        self.action.setAccessibleName("Clean-up action for the selected location")
        self.action.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.action.setMinimumContentsLength(12)
        self.preview_button = QPushButton("Preview clean-up…")
        self.preview_button.setAccessibleName("Preview the clean-up of the selected location")
        self.preview_button.clicked.connect(self.preview)
        row = QHBoxLayout()
        row.addWidget(self.action, 1)
        row.addWidget(self.preview_button)
        self.status = label("", wrap=True)
        self.status.setObjectName("Status")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.undo_last = QPushButton("Undo")
        self.undo_last.setAccessibleName("Undo the clean-up just made")
        self.undo_last.clicked.connect(self._undo_last)
        self.undo_last.setVisible(False)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.undo_last, 0, Qt.AlignmentFlag.AlignTop)

        self.history_title = label("Clean-up history", "Subhead")
        self.history = QListWidget()
        self.history.setObjectName("Plain")
        self.history.setAccessibleName("Clean-up history")
        self.history.setMaximumHeight(96)
        self.history.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.undo_selected = QPushButton("Undo selected")
        self.undo_selected.setAccessibleName("Undo the selected clean-up action")
        self.undo_selected.clicked.connect(self._undo_selected)
        self.history.currentRowChanged.connect(lambda _r: self._update_buttons())

        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setObjectName("Rule")
        self.check_button = QPushButton("Check at provider…")
        self.check_button.setAccessibleName("Ask the provider whether this credential still works")
        self.check_button.clicked.connect(self.ask_check)
        self.check_text = label("", "Muted", wrap=True)
        self.check_text.setTextFormat(Qt.TextFormat.RichText)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.check_text, 1)

        self.body.addWidget(self.intro)
        self.body.addLayout(row)
        self.body.addLayout(status_row)
        self.body.addWidget(self.history_title)
        self.body.addWidget(self.history)
        history_buttons = QHBoxLayout()
        history_buttons.addStretch(1)
        history_buttons.addWidget(self.undo_selected)
        self.body.addLayout(history_buttons)
        self.body.addWidget(rule)
        self.body.addLayout(check_row)
        self.records: list[ActionRecord] = []
        self.set_target(None, None)

    # ---------------------------------------------------------------- state
    @property
    def busy(self) -> bool:
        return self.runnable is not None

    def _remediation(self) -> Remediation:
        return self._context.remediation()

    def set_target(self, finding: FindingRecord | None, location: LocationRecord | None) -> None:
        """Show the actions for ``location`` of ``finding`` (the detail pane's selection)."""
        same_finding = (
            finding is not None and self.finding is not None and finding.id == self.finding.id
        )
        self.finding, self.location = finding, location
        if not same_finding:
            self.status.setText("")
            self.undo_last.setVisible(False)
            self.check_text.setText("")
        self.action.clear()
        if location is not None and location.present:
            for kind in Remediation.choices(location):
                self.action.addItem(ACTION_LABELS.get(kind, str(kind)), str(kind))
        if location is None:
            self.action.addItem("Select a location above")
        elif not location.present:
            self.action.addItem("This copy is already gone")
        elif self.action.count() == 0:
            self.action.addItem("No automatic clean-up here: follow the guide")
        self._load_history()
        provider = liveness_provider(finding.rule_id) if finding is not None else None
        self.check_button.setVisible(provider is not None)
        self.check_button.setToolTip(
            f"Contacts {provider} to ask whether the credential still works" if provider else ""
        )
        if provider is None and finding is not None and not same_finding:
            self.check_text.setText("")
        self._update_buttons()

    def _load_history(self) -> None:
        self.history.clear()
        self.records = []
        if self.finding is not None:
            try:
                self.records = self._remediation().actions(self.finding.id)
            except Exception as exc:
                self._context.error.emit(exc)
        for record in self.records:
            state = "undone" if record.status is ActionStatus.UNDONE else "done"
            if record.backup_shredded_at and state == "done":
                state = "final (backup shredded)"
            item = QListWidgetItem(f"{when(record.created_at)} · {record.summary} · {state}")
            item.setToolTip(f"Action {record.id}: {record.kind}")
            self.history.addItem(item)
        has = bool(self.records)
        self.history_title.setVisible(has)
        self.history.setVisible(has)
        self.undo_selected.setVisible(has)
        if has:
            self.history.setCurrentRow(len(self.records) - 1)

    def _undoable(self, record: ActionRecord | None) -> bool:
        return (
            record is not None
            and record.status is ActionStatus.DONE
            and bool(record.backup_path)
            and not record.backup_shredded_at
        )

    def selected_kind(self) -> ActionKind | None:
        """The clean-up action chosen in the combo box (None for a placeholder line)."""
        data = self.action.currentData()
        return ActionKind(data) if isinstance(data, str) and data else None

    def selected_action(self) -> ActionRecord | None:
        row = self.history.currentRow()
        return self.records[row] if 0 <= row < len(self.records) else None

    def _update_buttons(self) -> None:
        can_clean = (
            self.location is not None and self.location.present and self.selected_kind() is not None
        )
        self.action.setEnabled(can_clean and not self.busy)
        self.preview_button.setEnabled(can_clean and not self.busy)
        self.undo_selected.setEnabled(self._undoable(self.selected_action()) and not self.busy)
        last = self.last_outcome
        record = next((a for a in self.records if last and a.id == last.action_id), None)
        self.undo_last.setEnabled(self._undoable(record) and not self.busy)
        self.check_button.setEnabled(self.finding is not None and not self.busy)

    def _location_number(self) -> int | None:
        """1-based index of the selected location among the finding's present locations."""
        if self.finding is None or self.location is None:
            return None
        present = [r.id for r in self.finding.locations if r.present]
        return present.index(self.location.id) + 1 if self.location.id in present else None

    def _run(
        self,
        busy_text: str,
        function: Callable[[], object],
        done: Callable[[object], None],
    ) -> None:
        self.status.setText(f"<i>{html.escape(busy_text)}</i>")

        def finished(result: object) -> None:
            self.runnable = None
            done(result)
            self._update_buttons()

        def failed(exc: object) -> None:
            self.runnable = None
            self.status.setText("")
            if "Asking" in self.check_text.text():
                self.check_text.setText("")
            self._update_buttons()
            self._context.error.emit(exc)
            self.failed.emit(exc)

        self.runnable = run_blocking(self._context.pool, function, finished, failed)
        self._update_buttons()

    # -------------------------------------------------------------- clean-up
    def preview(self) -> None:
        """Make the plan in a worker (loads the rules the first time), then ask to confirm."""
        kind = self.selected_kind()
        number = self._location_number()
        if self.finding is None or number is None or kind is None:
            return
        finding_id = self.finding.id
        remediation = self._remediation()
        self._run(
            "Preparing the preview…",
            lambda: remediation.plan(finding_id, number, kind),
            self._confirm,
        )

    def _confirm(self, plan: object) -> None:
        if not isinstance(plan, Plan):
            return
        self.status.setText("")
        details = plan.preview()
        if plan.manual:
            self.dialog = ConfirmDialog(
                "Clean up by hand",
                "This copy is in committed git history. It is never rewritten automatically.",
                "Revoke the credential first. Then, if the history must go, run these commands"
                " yourself in the repository; everyone with a clone must re-clone afterwards.",
                "",
                details,
                self,
                can_accept=False,
            )
        else:
            self.dialog = ConfirmDialog(
                "Confirm clean-up",
                f"{ACTION_LABELS.get(plan.kind, str(plan.kind))}?",
                BACKUP_PROMISE,
                "Clean up",
                details,
                self,
            )
            self.dialog.accepted.connect(lambda: self.apply(plan))
        self.dialog.setObjectName("CleanupDialog")
        self.planned.emit(plan)
        self.dialog.open()

    def apply(self, plan: Plan) -> None:
        remediation = self._remediation()
        self._run("Cleaning up and rescanning…", lambda: remediation.apply(plan), self._applied)

    def _applied(self, outcome: object) -> None:
        if not isinstance(outcome, ActionOutcome):
            return
        self.last_outcome = outcome
        check = outcome.verification
        if check.finding_gone:
            proof = (
                "Rescan: <b>no copy left on this machine</b>. Revoke it at the provider too,"
                " then mark it revoked."
            )
        elif check.gone:
            proof = "Rescan: this location is clean; other copies remain (see Locations)."
        else:
            proof = "Rescan: <b>the credential is still there</b> — clean up by hand."
        self.status.setText(f"✓ {html.escape(outcome.summary)}<br>{proof}")
        self.undo_last.setVisible(True)
        self.applied.emit(outcome)
        self.changed.emit(check.finding_id)

    def _undo_last(self) -> None:
        if self.last_outcome is not None:
            self.undo(self.last_outcome.action_id)

    def _undo_selected(self) -> None:
        record = self.selected_action()
        if record is not None:
            self.undo(record.id)

    def undo(self, action_id: str) -> None:
        remediation = self._remediation()
        self._run("Restoring from the backup…", lambda: remediation.undo(action_id), self._undone)

    def _undone(self, record: object) -> None:
        if not isinstance(record, ActionRecord):
            return
        self.status.setText(
            f"↶ Restored: {html.escape(record.summary)}. The copy is back, exactly as it was."
        )
        self.undo_last.setVisible(False)
        self.undone.emit(record)
        self.changed.emit(record.finding_id)

    # ---------------------------------------------------------- online check
    def ask_check(self) -> None:
        if self.finding is None:
            return
        provider = liveness_provider(self.finding.rule_id) or self.finding.provider
        self.dialog = ConfirmDialog(
            "Check at provider",
            f"Contact {provider} to ask whether this credential still works?",
            f"This goes online: the credential is sent over HTTPS to {provider}'s identity"
            " endpoint, which answers whether it is accepted. Nothing is changed at the"
            " provider, nothing else leaves this machine, and the answer is recorded in the"
            " finding's history.",
            f"Contact {provider}",
            parent=self,
        )
        self.dialog.setObjectName("CheckDialog")
        self.dialog.accepted.connect(self.check)
        self.dialog.open()

    def check(self) -> None:
        if self.finding is None:
            return
        finding_id = self.finding.id
        remediation = self._remediation()
        self.check_text.setText("<i>Asking the provider…</i>")
        self._run("", lambda: remediation.check(finding_id), self._checked)

    def _checked(self, result: object) -> None:
        if not isinstance(result, LivenessResult):
            return
        self.last_check = result
        self.status.setText("")
        kind, text = _VERDICT_TEXT.get(result.verdict, _VERDICT_TEXT["unknown"])
        message = text.format(p=html.escape(result.provider))
        if result.verdict not in ("valid", "invalid"):
            message += f" ({html.escape(result.detail)})."
        colour = {"error": "#c42b3c", "ok": "#2f8a57"}.get(kind, "")
        self.check_text.setText(
            f"<span style='color:{colour}'><b>{message}</b></span>" if colour else message
        )
        self.checked.emit(result)
        if self.finding is not None:
            self.changed.emit(self.finding.id)


__all__ = ["ACTION_LABELS", "BACKUP_PROMISE", "CleanupPanel"]
