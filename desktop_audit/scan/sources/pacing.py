"""Progress reporting at a modest rate (every N items or T seconds, whichever comes first)."""

from __future__ import annotations

import time

from desktop_audit.progress import ProgressEvent
from desktop_audit.scan.sources.base import ScanContext


class Pacer:
    """Counts items and bytes for one source group and reports them now and then."""

    def __init__(
        self, ctx: ScanContext, source: str, *, every: int = 100, interval: float = 0.1
    ) -> None:
        self._ctx = ctx
        self._source = source
        self._every = every
        self._interval = interval
        self._last = time.monotonic()
        self._since = 0
        self.done = 0
        self.bytes_done = 0
        self.total: int | None = None

    def step(self, current: str = "", nbytes: int = 0) -> None:
        """One more item done."""
        self.done += 1
        self.bytes_done += nbytes
        self._since += 1
        now = time.monotonic()
        if self._since >= self._every or now - self._last >= self._interval:
            self._emit(current, finished=False)
            self._last = now
            self._since = 0

    def finish(self, current: str = "") -> None:
        self._emit(current, finished=True)

    def _emit(self, current: str, *, finished: bool) -> None:
        self._ctx.report(
            ProgressEvent(
                source=self._source,
                done=self.done,
                total=self.total,
                current=current,
                bytes_done=self.bytes_done,
                finished=finished,
            )
        )
