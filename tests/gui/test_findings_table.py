"""FindingsTableModel without a view: Qt's model tester, lazy paging, SQL sort and filter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from desktop_audit.app.queries import FindingFilter
from desktop_audit.app.service import AuditService
from desktop_audit.gui.models.findings_table import (
    PAGE_SIZE,
    FindingColumn,
    FindingsTableModel,
    IdRole,
    SortKeyRole,
)
from desktop_audit.gui.widgets.chips import ChipRole
from desktop_audit.models import Severity, SourceKind, Status
from tests.gui.conftest import populate

DISPLAY = Qt.ItemDataRole.DisplayRole


def column_values(model: FindingsTableModel, column: FindingColumn, role: int) -> list[object]:
    return [model.index(r, column).data(role) for r in range(model.rowCount())]


def test_model_passes_qt_model_tester(small_db: Path) -> None:
    service = AuditService(db_path=small_db)
    model = FindingsTableModel(service)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.reload()
    assert model.rowCount() == 40
    assert model.columnCount() == len(FindingColumn)
    for column in FindingColumn:
        model.sort(column, Qt.SortOrder.AscendingOrder)
        model.sort(column, Qt.SortOrder.DescendingOrder)
    model.set_filter(FindingFilter(severities=(Severity.CRITICAL,)))
    service.close()


def test_columns_and_roles(small_db: Path) -> None:
    service = AuditService(db_path=small_db)
    model = FindingsTableModel(service, home=lambda: "/home/contractor")
    model.reload()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in FindingColumn]
    assert headers[FindingColumn.SEVERITY] == "Severity"
    # Default order: most severe first, sort keys on UserRole are severity ranks.
    ranks = column_values(model, FindingColumn.SEVERITY, SortKeyRole)
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] == Severity.CRITICAL.rank
    first = model.index(0, FindingColumn.WHERE).data(DISPLAY)
    assert str(first).startswith("~/project-")
    assert model.index(0, FindingColumn.SEVERITY).data(ChipRole).startswith("#")
    assert model.index(0, FindingColumn.TITLE).data(ChipRole) is None
    assert len(model.index(0, 0).data(IdRole)) == 32
    assert model.index(0, FindingColumn.STATUS).data(DISPLAY) == "Open"
    service.close()


def test_sort_and_filter_in_sql(small_db: Path) -> None:
    service = AuditService(db_path=small_db)
    model = FindingsTableModel(service)
    model.sort(FindingColumn.TITLE, Qt.SortOrder.AscendingOrder)
    titles = column_values(model, FindingColumn.TITLE, SortKeyRole)
    assert titles == sorted(titles)
    model.sort(FindingColumn.TITLE, Qt.SortOrder.DescendingOrder)
    assert column_values(model, FindingColumn.TITLE, SortKeyRole) == sorted(titles, reverse=True)

    model.set_filter(FindingFilter(severities=(Severity.HIGH,)))
    assert model.rowCount() == 8
    assert set(column_values(model, FindingColumn.SEVERITY, DISPLAY)) == {"High"}

    model.set_filter(FindingFilter(sources=(SourceKind.DOTFILE,)))
    assert model.rowCount() == 10
    assert set(column_values(model, FindingColumn.SOURCE, DISPLAY)) == {"Dotfile"}

    model.set_filter(FindingFilter(search="token 000017"))
    assert column_values(model, FindingColumn.TITLE, DISPLAY) == ["Stripe token 000017"]

    model.set_filter(FindingFilter(search="project-33/file-33"))  # a path, via the locations
    assert model.rowCount() == 1

    model.set_filter(FindingFilter(search="100%_"))  # LIKE wildcards are literal
    assert model.rowCount() == 0
    service.close()


def test_refresh_rows_after_status_change(small_db: Path) -> None:
    service = AuditService(db_path=small_db)
    model = FindingsTableModel(service)
    model.reload()
    fid = model.finding_id(3)
    service.resolve_many([fid], Status.REVOKED, "rotated in the console")
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    model.refresh_rows([fid])
    assert changed == [3]
    assert model.index(3, FindingColumn.STATUS).data(DISPLAY) == "Revoked"
    service.close()


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "audit.db"
    started = time.perf_counter()
    populate(path, 100_000)
    print(f"\n[100k] populate: {time.perf_counter() - started:.2f} s")
    return path


def test_100k_findings_lazy_sort_filter(big_db: Path) -> None:
    service = AuditService(db_path=big_db)
    model = FindingsTableModel(service)

    started = time.perf_counter()
    model.reload()
    first_row = model.index(0, FindingColumn.TITLE).data(DISPLAY)
    first_paint = time.perf_counter() - started
    assert model.rowCount() == 100_000
    assert first_row is not None
    assert model.page_loads == 1  # only one page of rows was read

    # Scrolling to the middle loads one more page, not the rows in between.
    middle = model.index(50_000, FindingColumn.WHERE).data(DISPLAY)
    assert middle is not None
    assert model.page_loads == 2

    started = time.perf_counter()
    model.sort(FindingColumn.TITLE, Qt.SortOrder.AscendingOrder)
    top = [model.index(r, FindingColumn.TITLE).data(DISPLAY) for r in range(PAGE_SIZE)]
    sort_title = time.perf_counter() - started
    assert top[:3] == ["Aws token 000005", "Aws token 000006", "Aws token 000007"]

    started = time.perf_counter()
    model.sort(FindingColumn.WHERE, Qt.SortOrder.DescendingOrder)
    model.index(0, 0).data(DISPLAY)
    sort_where = time.perf_counter() - started
    keys = [model.index(r, FindingColumn.WHERE).data(SortKeyRole) for r in range(50)]
    assert keys == sorted(keys, reverse=True)

    started = time.perf_counter()
    model.set_filter(FindingFilter(severities=(Severity.CRITICAL,), statuses=(Status.OPEN,)))
    model.index(0, 0).data(DISPLAY)
    filter_severity = time.perf_counter() - started
    assert model.rowCount() == 20_000

    started = time.perf_counter()
    model.set_filter(FindingFilter(search="token 09999"))
    search = time.perf_counter() - started
    assert model.rowCount() == 10  # 099990 .. 099999

    print(
        f"\n[100k] first paint {first_paint * 1000:.0f} ms · sort by title"
        f" {sort_title * 1000:.0f} ms · sort by where {sort_where * 1000:.0f} ms ·"
        f" filter critical+open {filter_severity * 1000:.0f} ms · search {search * 1000:.0f} ms"
    )
    service.close()
