"""FindingsTableModel: a lazy table over finding ids, filtered and sorted in SQL.

The model holds only the ordered list of ids for the current filter; row data is fetched a page
at a time and cached by id, so 100,000 findings open, sort and filter quickly.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop_audit.app.queries import FindingFilter, FindingRow, FindingSort
from desktop_audit.gui.theme import SEVERITY_COLOURS, STATUS_COLOURS, STATUS_LABELS
from desktop_audit.gui.widgets.chips import ChipRole
from desktop_audit.models import SourceKind

SortKeyRole = Qt.ItemDataRole.UserRole
IdRole = Qt.ItemDataRole.UserRole + 1

PAGE_SIZE = 200
CACHE_ROWS = 5000

AnyIndex = QModelIndex | QPersistentModelIndex

SOURCE_LABELS: dict[SourceKind, str] = {
    SourceKind.GIT_HISTORY: "Git history",
    SourceKind.GIT_CONFIG: "Git config",
    SourceKind.GIT_WORKTREE: "Git work tree",
    SourceKind.DOTFILE: "Dotfile",
    SourceKind.SHELL_HISTORY: "Shell history",
    SourceKind.FILE: "File",
    SourceKind.KEYCHAIN: "Keychain",
    SourceKind.BROWSER: "Browser",
}


class FindingsSource(Protocol):
    """What the model needs from the application service."""

    def finding_ids(
        self, flt: FindingFilter | None = ..., sort: FindingSort = ..., descending: bool = ...
    ) -> list[str]: ...

    def finding_rows(self, ids: Sequence[str]) -> dict[str, FindingRow]: ...


IdQuery = Callable[[FindingFilter, FindingSort, bool], list[str]]
"""A blocking query for the ordered ids (run on a worker thread with its own connection)."""

QueryRunner = Callable[[Callable[[], list[str]], Callable[[list[str]], None]], None]
"""Runs a blocking function off the GUI thread and calls back with its result on it."""


class FindingColumn(IntEnum):
    """The table's columns, in order; each knows its header, sort key and cell text."""

    SEVERITY = 0
    TITLE = 1
    KIND = 2
    SOURCE = 3
    STATUS = 4
    WHERE = 5
    PREVIEW = 6

    @property
    def header(self) -> str:
        return _HEADERS[self]

    @property
    def sort(self) -> FindingSort:
        return _SORTS[self]


_HEADERS = {
    FindingColumn.SEVERITY: "Severity",
    FindingColumn.TITLE: "Finding",
    FindingColumn.KIND: "Kind",
    FindingColumn.SOURCE: "Source",
    FindingColumn.STATUS: "Status",
    FindingColumn.WHERE: "Where",
    FindingColumn.PREVIEW: "Preview (redacted)",
}
_SORTS = {
    FindingColumn.SEVERITY: FindingSort.SEVERITY,
    FindingColumn.TITLE: FindingSort.TITLE,
    FindingColumn.KIND: FindingSort.KIND,
    FindingColumn.SOURCE: FindingSort.SOURCE,
    FindingColumn.STATUS: FindingSort.STATUS,
    FindingColumn.WHERE: FindingSort.WHERE,
    FindingColumn.PREVIEW: FindingSort.PREVIEW,
}
_STATUS_ORDER = {s: i for i, s in enumerate(STATUS_LABELS)}


def display_where(row: FindingRow, home: str | None) -> str:
    """The first location as a person reads it: ``~/path:line`` or the keychain item."""
    if row.path:
        path = row.path
        if home and (path == home or path.startswith(home.rstrip("/") + "/")):
            path = "~" + path[len(home.rstrip("/")) :]
        text = f"{path}:{row.line}" if row.line else path
    else:
        text = row.keychain_item or "—"
    extra = row.location_count - 1
    return f"{text}  (+{extra} more)" if extra > 0 else text


def cell_text(column: FindingColumn, row: FindingRow, home: str | None) -> str:
    if column is FindingColumn.SEVERITY:
        return row.severity.value.capitalize()
    if column is FindingColumn.TITLE:
        return row.title
    if column is FindingColumn.KIND:
        return row.kind.value.capitalize()
    if column is FindingColumn.SOURCE:
        return SOURCE_LABELS.get(row.source, "—") if row.source else "—"
    if column is FindingColumn.STATUS:
        return STATUS_LABELS[row.status]
    if column is FindingColumn.WHERE:
        return display_where(row, home)
    return row.redacted


def sort_key(column: FindingColumn, row: FindingRow, home: str | None) -> Any:
    """The value a column sorts by (what SQL orders by): ranks for severity and status."""
    if column is FindingColumn.SEVERITY:
        return row.severity.rank
    if column is FindingColumn.STATUS:
        return _STATUS_ORDER[row.status]
    if column is FindingColumn.TITLE:
        return row.title.lower()
    if column is FindingColumn.WHERE:
        return (row.path or row.keychain_item or "").lower()
    if column is FindingColumn.SOURCE:
        return str(row.source or "")
    return cell_text(column, row, home)


class FindingsTableModel(QAbstractTableModel):
    """Rows are finding ids in SQL order; data is fetched in pages of ``PAGE_SIZE``.

    With ``id_query`` and ``runner`` the (slow on big databases) id query runs off the GUI
    thread; :attr:`loading` is True meanwhile and stale answers are dropped.
    """

    loading_changed = Signal(bool)

    def __init__(
        self,
        source: FindingsSource,
        home: Callable[[], str | None] = lambda: None,
        parent: Any = None,
        *,
        id_query: IdQuery | None = None,
        runner: QueryRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._id_query = id_query
        self._runner = runner
        self._generation = 0
        self.loading = False
        self._home = home
        self._ids: list[str] = []
        self._cache: OrderedDict[str, FindingRow] = OrderedDict()
        self._filter = FindingFilter()
        self._sort = FindingColumn.SEVERITY
        self._order = Qt.SortOrder.DescendingOrder
        self.page_loads = 0

    # ------------------------------------------------------------- queries
    @property
    def current_filter(self) -> FindingFilter:
        return self._filter

    @property
    def sort_column(self) -> FindingColumn:
        return self._sort

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._order

    def set_filter(self, flt: FindingFilter) -> None:
        self._filter = flt
        self.reload()

    def reload(self) -> None:
        """Query the ids again (after a scan, a filter or a status change)."""
        self._generation += 1
        generation = self._generation
        args = (self._filter, self._sort.sort, self._order == Qt.SortOrder.DescendingOrder)
        if self._id_query is None or self._runner is None:
            self._apply(generation, self._source.finding_ids(*args))
            return
        query = self._id_query
        self._set_loading(True)
        self._runner(lambda: query(*args), lambda ids: self._apply(generation, ids))

    def _apply(self, generation: int, ids: list[str]) -> None:
        if generation != self._generation:
            return  # a newer filter or sort was asked for meanwhile
        self.beginResetModel()
        self._ids = ids
        self._cache.clear()
        self.endResetModel()
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    def refresh_rows(self, ids: Sequence[str]) -> None:
        """Re-fetch some rows in place (after their status changed)."""
        fresh = self._source.finding_rows(ids)
        self._cache.update(fresh)
        positions = {fid: i for i, fid in enumerate(self._ids) if fid in fresh}
        for row in positions.values():
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(FindingColumn) - 1))

    def finding_id(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, finding_id: str) -> int:
        try:
            return self._ids.index(finding_id)
        except ValueError:
            return -1

    def row_data(self, row: int) -> FindingRow | None:
        """The data of one row, loading its page when needed."""
        if not 0 <= row < len(self._ids):
            return None
        finding_id = self._ids[row]
        cached = self._cache.get(finding_id)
        if cached is not None:
            self._cache.move_to_end(finding_id)
            return cached
        start = row - row % PAGE_SIZE
        page = self._ids[start : start + PAGE_SIZE]
        self._cache.update(self._source.finding_rows(page))
        self.page_loads += 1
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(finding_id)

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(FindingColumn)

    def headerData(  # noqa: N802  (Qt override)
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if 0 <= section < len(FindingColumn):
            return FindingColumn(section).header
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.column() < len(FindingColumn):
            return None
        row = self.row_data(index.row())
        if row is None:
            return None
        column = FindingColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_text(column, row, self._home())
        if role == SortKeyRole:
            return sort_key(column, row, self._home())
        if role == IdRole:
            return row.id
        if role == ChipRole:
            if column is FindingColumn.SEVERITY:
                return SEVERITY_COLOURS[row.severity]
            if column is FindingColumn.STATUS:
                return STATUS_COLOURS[row.status]
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is FindingColumn.WHERE:
                return row.path or row.keychain_item
            if column is FindingColumn.TITLE:
                return f"{row.title} ({row.provider}, rule {row.rule_id})"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(FindingColumn):
            return
        self._sort = FindingColumn(column)
        self._order = order
        self.reload()
