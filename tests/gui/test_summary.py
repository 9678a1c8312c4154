"""Plain-language scan summaries count what an incremental rescan took over as covered."""

from __future__ import annotations

from desktop_audit.gui.summary import short_coverage
from desktop_audit.models import ScanRecord, ScanStatus


def _scan(stats: dict[str, dict[str, int]]) -> ScanRecord:
    return ScanRecord(
        id="s1",
        started_at="2026-12-01T10:00:00Z",
        finished_at="2026-12-01T10:01:00Z",
        status=ScanStatus.COMPLETE,
        home="/home/u",
        roots=(),
        groups=(),
        stats=stats,
        errors=(),
        profile_sha256=None,
        ruleset_digest="d",
        tool_version="0",
    )


def test_reused_files_count_as_covered() -> None:
    rescan = _scan({"files": {"reused_files": 120, "files": 3}, "reuse": {"reused_units": 121}})
    assert short_coverage(rescan) == "123 files"
