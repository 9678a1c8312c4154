"""Crash logs without secrets: frames and exception types, never exception messages.

A third-party exception message may quote scanned bytes (``UnicodeDecodeError`` does), so
only the type names and the stack (file, line, function) are written.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path

from desktop_audit import __version__


def scrubbed_traceback(exc: BaseException) -> str:
    """The stack of ``exc`` and its causes, with every exception message left out."""
    lines: list[str] = []
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}")
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("caused by / during handling of:")
    return "\n".join(lines) + "\n"


def write_crash_log(exc: BaseException, directory: Path) -> Path:
    """Write a crash log (mode 0600) and return its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"crash-{stamp}.log"
    text = f"desktop-audit {__version__} crash at {stamp}\n" + scrubbed_traceback(exc)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
