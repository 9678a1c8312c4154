"""Crash logs keep the stack and never an exception message."""

from __future__ import annotations

import stat
from pathlib import Path

from desktop_audit.crashlog import scrubbed_traceback, write_crash_log

PLANTED = "planted-value-9f2c1e"


def _boom() -> None:
    try:
        raise ValueError(PLANTED)
    except ValueError as exc:
        raise RuntimeError(f"wrapped {PLANTED}") from exc


def test_crash_log_has_stack_but_no_message(tmp_path: Path) -> None:
    try:
        _boom()
    except RuntimeError as exc:
        text = scrubbed_traceback(exc)
        path = write_crash_log(exc, tmp_path)
    assert "_boom" in text
    assert "ValueError" in text
    assert PLANTED not in text
    assert PLANTED not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
