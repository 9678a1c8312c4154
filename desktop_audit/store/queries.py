"""Read-only queries for browsing large finding sets (filter, sort and page in SQL).

The desktop app lists finding ids for a filter and sort order, then fetches row data a page at a
time, so a database with 100,000 findings stays quick to browse. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desktop_audit.models import FindingKind, Severity, SourceKind, Status
from desktop_audit.store.db import Store

_SEVERITY_RANK = (
    "CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2"
    " WHEN 'low' THEN 1 ELSE 0 END"
)
_STATUS_RANK = (
    "CASE f.status WHEN 'open' THEN 0 WHEN 'revoked' THEN 1 WHEN 'removed' THEN 2"
    " WHEN 'accepted' THEN 3 ELSE 4 END"
)
_PRIMARY_LOCATION = (
    "(SELECT l2.id FROM locations l2 WHERE l2.finding_id = f.id"
    " ORDER BY l2.present DESC, l2.id LIMIT 1)"
)
_MAX_PARAMS = 500


class FindingSort(StrEnum):
    """What a finding list can be ordered by."""

    SEVERITY = "severity"
    TITLE = "title"
    KIND = "kind"
    SOURCE = "source"
    STATUS = "status"
    WHERE = "where"
    PREVIEW = "preview"
    LAST_SEEN = "last_seen"


_SORT_SQL: dict[FindingSort, str] = {
    FindingSort.SEVERITY: _SEVERITY_RANK,
    FindingSort.TITLE: "f.title COLLATE NOCASE",
    FindingSort.KIND: "f.kind",
    FindingSort.SOURCE: (
        f"(SELECT l.source FROM locations l WHERE l.id = {_PRIMARY_LOCATION})"  # noqa: S608
    ),
    FindingSort.STATUS: _STATUS_RANK,
    FindingSort.WHERE: (
        "(SELECT COALESCE(l.path, l.keychain_item, '') FROM locations l"  # noqa: S608
        f" WHERE l.id = {_PRIMARY_LOCATION}) COLLATE NOCASE"
    ),
    FindingSort.PREVIEW: "f.redacted",
    FindingSort.LAST_SEEN: "f.last_seen",
}


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Which findings to list; empty tuples mean "any"."""

    search: str = ""
    severities: tuple[Severity, ...] = ()
    statuses: tuple[Status, ...] = ()
    sources: tuple[SourceKind, ...] = ()
    kinds: tuple[FindingKind, ...] = ()


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One line of a finding list: the finding and its first (present-first) location."""

    id: str
    severity: Severity
    title: str
    provider: str
    rule_id: str
    kind: FindingKind
    status: Status
    redacted: str
    guide: str
    last_seen: str
    present: bool
    source: SourceKind | None
    path: str | None
    line: int | None
    keychain_item: str | None
    location_count: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(flt: FindingFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (
        ("f.severity", flt.severities),
        ("f.status", flt.statuses),
        ("f.kind", flt.kinds),
    ):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params += [str(v) for v in values]
    if flt.sources:
        clauses.append(
            "EXISTS (SELECT 1 FROM locations l WHERE l.finding_id = f.id AND l.source IN"  # noqa: S608
            f" ({','.join('?' * len(flt.sources))}))"
        )
        params += [str(s) for s in flt.sources]
    text = flt.search.strip()
    if text:
        like = f"%{_escape_like(text)}%"
        fields = ("f.title", "f.provider", "f.rule_id", "f.redacted", "f.id")
        inner = " OR ".join(f"{name} LIKE ? ESCAPE '\\'" for name in fields)
        clauses.append(
            f"({inner} OR EXISTS (SELECT 1 FROM locations l WHERE"  # noqa: S608
            " l.finding_id = f.id AND"
            " (l.path LIKE ? ESCAPE '\\' OR l.keychain_item LIKE ? ESCAPE '\\')))"
        )
        params += [like] * (len(fields) + 2)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def finding_ids(
    store: Store,
    flt: FindingFilter = FindingFilter(),
    sort: FindingSort = FindingSort.SEVERITY,
    descending: bool = False,
) -> list[str]:
    """Ids of the matching findings in display order; ties keep a stable order by id.

    Sorting is by the natural key (severity rank 0 = info .. 4 = critical; status open first),
    so "most severe first" is ``descending=True``.
    """
    where, params = _where(flt)
    key = _SORT_SQL[sort]
    direction = "DESC" if descending else "ASC"
    sql = f"SELECT f.id FROM findings f{where} ORDER BY {key} {direction}, f.id"  # noqa: S608
    return [str(row[0]) for row in store.db.execute(sql, params).fetchall()]


def finding_rows(store: Store, ids: Sequence[str]) -> dict[str, FindingRow]:
    """Row data for some finding ids (any order; unknown ids are left out)."""
    result: dict[str, FindingRow] = {}
    for start in range(0, len(ids), _MAX_PARAMS):
        chunk = list(ids[start : start + _MAX_PARAMS])
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT f.id, f.severity, f.title, f.provider, f.rule_id, f.kind, f.status,"  # noqa: S608
            " f.redacted, f.guide, f.last_seen, f.present, l.source, l.path, l.line,"
            " l.keychain_item,"
            " (SELECT COUNT(*) FROM locations c WHERE c.finding_id = f.id)"
            f" FROM findings f LEFT JOIN locations l ON l.id = {_PRIMARY_LOCATION}"
            f" WHERE f.id IN ({marks})"
        )
        for row in store.db.execute(sql, chunk).fetchall():
            result[str(row[0])] = FindingRow(
                id=str(row[0]),
                severity=Severity(row[1]),
                title=str(row[2]),
                provider=str(row[3]),
                rule_id=str(row[4]),
                kind=FindingKind(row[5]),
                status=Status(row[6]),
                redacted=str(row[7]),
                guide=str(row[8]),
                last_seen=str(row[9]),
                present=bool(row[10]),
                source=SourceKind(row[11]) if row[11] is not None else None,
                path=row[12],
                line=row[13],
                keychain_item=row[14],
                location_count=int(row[15]),
            )
    return result


def open_by_severity(store: Store) -> dict[Severity, int]:
    """How many findings are still open, per severity (every severity present, maybe 0)."""
    rows = store.db.execute(
        "SELECT severity, COUNT(*) FROM findings WHERE status = 'open' GROUP BY severity"
    ).fetchall()
    counts = dict.fromkeys(Severity, 0)
    for severity, count in rows:
        counts[Severity(severity)] = int(count)
    return counts


def finding_total(store: Store) -> int:
    """How many findings the database holds."""
    return int(store.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0])


def scan_total(store: Store) -> int:
    """How many scans the database holds (0 on first run)."""
    return int(store.db.execute("SELECT COUNT(*) FROM scans").fetchone()[0])
