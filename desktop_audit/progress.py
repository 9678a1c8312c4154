"""Plain-Python progress reporting and cancellation (adapted to Qt signals in gui/)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from desktop_audit.errors import ScanCancelledError


class CancelToken:
    """Thread-safe flag a long operation checks between items."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise ScanCancelledError("scan cancelled")


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """``done`` of ``total`` items (``total`` None when unknown) for one source group."""

    source: str
    done: int
    total: int | None = None
    current: str = ""
    bytes_done: int = 0
    hits: int = 0
    finished: bool = False


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(_event: ProgressEvent) -> None:
    """A progress callback that ignores everything."""
