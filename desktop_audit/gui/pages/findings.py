"""FindingsPage: the filterable, sortable finding table, bulk actions and the detail pane."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_audit.app.frontend import Guide
from desktop_audit.app.queries import FindingFilter, FindingSort
from desktop_audit.app.service import AuditService
from desktop_audit.gui.context import AppContext, Page
from desktop_audit.gui.models.findings_table import (
    SOURCE_LABELS,
    FindingColumn,
    FindingsTableModel,
)
from desktop_audit.gui.theme import STATUS_LABELS
from desktop_audit.gui.widgets.cards import Card, PageHeader, label
from desktop_audit.gui.widgets.chips import ChipDelegate
from desktop_audit.gui.widgets.cleanup_panel import CleanupPanel
from desktop_audit.gui.widgets.finding_detail import FindingDetailView, GuideLookup
from desktop_audit.gui.widgets.note_dialog import NoteDialog
from desktop_audit.gui.workers import run_blocking
from desktop_audit.models import FindingRecord, Severity, SourceKind, Status

_COLUMN_WIDTHS = {
    FindingColumn.SEVERITY: 84,
    FindingColumn.KIND: 84,
    FindingColumn.SOURCE: 84,
    FindingColumn.STATUS: 104,
    FindingColumn.WHERE: 176,
    FindingColumn.PREVIEW: 140,
}
# Shown in the detail pane; right-click the header to show them in the table too.
_HIDDEN_COLUMNS = (FindingColumn.KIND, FindingColumn.PREVIEW)


def remediation_guides(context: AppContext) -> GuideLookup:
    """The rendered guide from the remediation service (shipped guides + the profile's)."""

    def lookup(finding: FindingRecord) -> Guide | None:
        try:
            return context.remediation().guide(finding.id)
        except Exception as exc:  # a broken profile guide: say so, show the generic text
            context.error.emit(exc)
            return None

    return lookup


def security_contact(context: AppContext) -> str:
    profile = context.profile
    return profile.security_contact if profile is not None else ""


class FindingsView(QTableView):
    """The table: whole-row, multi-row selection; chips for severity and status."""

    def __init__(self, model: FindingsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Findings table")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.horizontalHeader().setSortIndicator(
            FindingColumn.SEVERITY, Qt.SortOrder.DescendingOrder
        )
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(30)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(FindingColumn.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(60)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in _COLUMN_WIDTHS.items():
            self.setColumnWidth(column, width)
        for column in _HIDDEN_COLUMNS:
            self.setColumnHidden(column, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for column in FindingColumn:
            if column in (FindingColumn.SEVERITY, FindingColumn.TITLE):
                continue
            action = QAction(f"Show {column.header}", header, checkable=True)
            action.setChecked(column not in _HIDDEN_COLUMNS)
            action.toggled.connect(lambda on, c=column: self.setColumnHidden(c, not on))
            header.addAction(action)
        chips = ChipDelegate(self)
        self.setItemDelegateForColumn(FindingColumn.SEVERITY, chips)
        self.setItemDelegateForColumn(FindingColumn.STATUS, chips)

    def selected_ids(self) -> list[str]:
        model = self.model()
        if not isinstance(model, FindingsTableModel):
            return []
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [model.finding_id(row) for row in rows]


def _combo(name: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for text, value in items:
        combo.addItem(text, value)
    return combo


class FindingsPage(QWidget):
    """Search, filters, the table, bulk actions and the detail pane."""

    def __init__(
        self,
        context: AppContext,
        guide_lookup: GuideLookup | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._context = context
        self._home: str | None = None
        self._reselect: str | None = None
        self.model = FindingsTableModel(
            context.service,
            home=lambda: self._home,
            parent=self,
            id_query=self._query_ids,
            runner=self._run_query,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 20)
        layout.setSpacing(12)
        layout.addWidget(
            PageHeader(
                "Findings",
                "Every credential and client reference found. Revoke what is real, then rescan.",
            )
        )

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, provider, path, preview…  (Ctrl+F)")
        self.search.setAccessibleName("Search findings")
        self.search.setClearButtonEnabled(True)
        self.severity = _combo(
            "Severity filter",
            [("All severities", None)] + [(s.value.capitalize(), s) for s in Severity],
        )
        self.status = _combo(
            "Status filter",
            [("All statuses", None)] + [(STATUS_LABELS[s], s) for s in Status],
        )
        self.source = _combo(
            "Source filter",
            [("All sources", None)] + [(SOURCE_LABELS[k], k) for k in SourceKind],
        )
        self.count = label("", "Muted")
        filters.addWidget(self.search, 3)
        for combo in (self.severity, self.status, self.source):
            filters.addWidget(combo, 1)
        filters.addWidget(self.count)
        layout.addLayout(filters)

        self.table = FindingsView(self.model)
        self.cleanup = CleanupPanel(context)
        self.detail = FindingDetailView(
            context.service.context,
            guide_lookup or remediation_guides(context),
            lambda: self._home,
            contact=lambda: security_contact(context),
            cleanup=self.cleanup,
        )
        self.empty = Card()
        self.empty_title = label("", "Action", wrap=True)
        self.empty_text = label("", "Muted", wrap=True)
        self.empty_button = QPushButton()
        self.empty_button.setAccessibleName("Suggested next step")
        self.empty_button.setObjectName("Primary")
        self.empty.body.addStretch(1)
        self.empty.body.addWidget(self.empty_title, 0, Qt.AlignmentFlag.AlignHCenter)
        self.empty.body.addWidget(self.empty_text, 0, Qt.AlignmentFlag.AlignHCenter)
        self.empty.body.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.empty.body.addStretch(1)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table_stack, 1)
        bulk = QHBoxLayout()
        self.selection_label = label("", "Muted")
        self.bulk_buttons: dict[Status, QPushButton] = {}
        bulk.addWidget(self.selection_label)
        bulk.addStretch(1)
        for status, text in (
            (Status.REVOKED, "Mark revoked…"),
            (Status.FALSE_POSITIVE, "False positive…"),
            (Status.ACCEPTED, "Accept…"),
        ):
            button = QPushButton(text)
            button.setAccessibleName(f"Mark selected findings {STATUS_LABELS[status].lower()}")
            button.clicked.connect(lambda _=False, s=status: self.resolve_selected(s))
            self.bulk_buttons[status] = button
            bulk.addWidget(button)
        left_layout.addLayout(bulk)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 396])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        for combo in (self.severity, self.status, self.source):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.loading_changed.connect(self._loading_changed)
        self.model.modelReset.connect(self._after_reset)
        self.detail.resolve_requested.connect(self._resolve_current)
        self.cleanup.changed.connect(self._cleaned)
        self.empty_button.clicked.connect(self._empty_action)
        context.data_changed.connect(self.refresh)
        context.show_findings.connect(self.show_filter)
        self.setTabOrder(self.search, self.severity)
        self.setTabOrder(self.severity, self.status)
        self.setTabOrder(self.status, self.source)
        self.setTabOrder(self.source, self.table)
        self._update_selection()

    # --------------------------------------------------------------- queries
    def _query_ids(self, flt: FindingFilter, sort: FindingSort, descending: bool) -> list[str]:
        """Runs on a worker thread: its own connection, read-only."""
        reader = AuditService(db_path=self._context.service.database_path)
        try:
            return reader.finding_ids(flt, sort, descending)
        finally:
            reader.close()

    def _run_query(
        self, function: Callable[[], list[str]], done: Callable[[list[str]], None]
    ) -> None:
        run_blocking(
            self._context.pool,
            function,
            done,  # type: ignore[arg-type]
            self._query_failed,
        )

    def _query_failed(self, exc: object) -> None:
        self.count.setText("")
        self._context.error.emit(exc)

    def _loading_changed(self, loading: bool) -> None:
        if loading:
            self.count.setText("Loading…")
        else:
            self._after_reset()

    # --------------------------------------------------------------- filters
    def current_filter(self) -> FindingFilter:
        def chosen(combo: QComboBox) -> str | None:
            value = combo.currentData()
            return None if value is None else str(value)

        severity, status, source = (chosen(c) for c in (self.severity, self.status, self.source))
        return FindingFilter(
            search=self.search.text().strip(),
            severities=(Severity(severity),) if severity else (),
            statuses=(Status(status),) if status else (),
            sources=(SourceKind(source),) if source else (),
        )

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.current_filter())

    def show_filter(self, flt: FindingFilter) -> None:
        """Set the widgets to ``flt`` (one value per combo) and apply it."""
        for combo, values in (
            (self.severity, flt.severities),
            (self.status, flt.statuses),
            (self.source, flt.sources),
        ):
            combo.blockSignals(True)
            index = combo.findData(values[0]) if values else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(flt.search)
        self.search.blockSignals(False)
        self.apply_filters()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """Reload ids and the open finding (after a scan or a status change)."""
        self._home = self._context.home
        if self.detail.finding is not None:
            self._reselect = self.detail.finding.id
        self.model.reload()

    # ------------------------------------------------------------- selection
    def _after_reset(self) -> None:
        if self.model.loading:
            return
        total = self.model.rowCount()
        self.count.setText(f"{total:,} finding{'s' if total != 1 else ''}")
        if total:
            self.table_stack.setCurrentWidget(self.table)
            row = self.model.row_of(self._reselect) if self._reselect else -1
            self._reselect = None
            if row >= 0 or not self.table.selectionModel().hasSelection():
                self.table.selectRow(max(row, 0))
                self.table.scrollTo(self.model.index(max(row, 0), 0))
        else:
            filtered = self.model.current_filter != FindingFilter()
            if filtered:
                self.empty_title.setText("Nothing matches these filters")
                self.empty_text.setText("Clear the search or pick “All” in the filters.")
                self.empty_button.setText("Clear filters")
            else:
                self.empty_title.setText("No findings yet")
                self.empty_text.setText(
                    "Run a scan to see which credentials and client references are on this machine."
                )
                self.empty_button.setText("Go to Scan")
            self.table_stack.setCurrentWidget(self.empty)
        if not total:
            self.detail.show_finding(None)
        self._update_selection()

    def _empty_action(self) -> None:
        if self.model.current_filter != FindingFilter():
            self.show_filter(FindingFilter())
        else:
            self._context.navigate.emit(Page.SCAN)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_selection()
        current: QModelIndex = self.table.selectionModel().currentIndex()
        ids = self.table.selected_ids()
        if len(ids) == 1:
            self._show_detail(ids[0])
        elif not ids:
            self.detail.show_finding(None)
        elif current.isValid():
            self._show_detail(self.model.finding_id(current.row()))

    def _show_detail(self, finding_id: str) -> None:
        try:
            finding = self._context.service.finding(finding_id)
        except Exception as exc:
            self._context.error.emit(exc)
            return
        self.detail.show_finding(finding)

    def _update_selection(self) -> None:
        count = len(self.table.selected_ids())
        self.selection_label.setText(f"{count:,} selected" if count else "Select rows to act on")
        for button in self.bulk_buttons.values():
            button.setEnabled(count > 0)

    # --------------------------------------------------------------- actions
    def resolve_selected(self, status: Status) -> bool:
        ids = self.table.selected_ids()
        return self._resolve(ids, status) if ids else False

    def _resolve_current(self, status: Status) -> None:
        if self.detail.finding is not None:
            self._resolve([self.detail.finding.id], status)

    def _resolve(self, ids: list[str], status: Status) -> bool:
        dialog = NoteDialog(status, len(ids), self)
        dialog.setObjectName("NoteDialog")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        try:
            self._context.service.resolve_many(ids, status, dialog.text())
        except Exception as exc:
            self._context.error.emit(exc)
            return False
        self.model.refresh_rows(ids)
        if self.detail.finding is not None and self.detail.finding.id in ids:
            self._show_detail(self.detail.finding.id)
        self._context.data_changed.emit()
        return True

    def _cleaned(self, finding_id: str) -> None:
        """A clean-up, undo or online check changed a finding: show its new state."""
        self.model.refresh_rows([finding_id])
        if self.detail.finding is not None and self.detail.finding.id == finding_id:
            row = self.detail.locations.currentRow()
            self._show_detail(finding_id)
            if 0 <= row < self.detail.locations.count():
                self.detail.locations.setCurrentRow(row)
        self._context.data_changed.emit()
