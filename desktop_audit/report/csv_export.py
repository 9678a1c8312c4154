"""Findings as CSV: one row per location (a finding without a location gets one row).

Cells that a spreadsheet would read as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from desktop_audit.models import FindingRecord
from desktop_audit.report.scan_json import display_path

SCHEMA_VERSION = 1
COLUMNS = (
    "finding_id",
    "severity",
    "status",
    "kind",
    "provider",
    "rule_id",
    "title",
    "redacted",
    "match_hash",
    "source",
    "path",
    "line",
    "commit",
    "ref",
    "keychain_item",
    "location_present",
    "first_seen",
    "last_seen",
    "schema_version",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text for one cell, defused against spreadsheet formula injection."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with CRLF line ends (RFC 4180) and every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def _rows(findings: Sequence[FindingRecord], home: str | None) -> Iterable[list[object]]:
    for f in findings:
        head = [f.id, f.severity, f.status, f.kind, f.provider, f.rule_id, f.title, f.redacted]
        head.append(f.match_hash)
        tail = [f.first_seen, f.last_seen, SCHEMA_VERSION]
        if not f.locations:
            yield [*head, "", "", "", "", "", "", "", *tail]
        for record in f.locations:
            loc = record.location
            where = display_path(loc.path, home)
            place = [loc.source, where, loc.line, loc.commit, loc.ref, loc.keychain_item]
            yield [*head, *place, str(record.present).lower(), *tail]


def to_csv(findings: Sequence[FindingRecord], home: str | None) -> str:
    return write_rows(COLUMNS, _rows(findings, home))
