"""The one way to run long work: QThreadPool + ServiceRunnable + WorkerSignals.

A task is a plain function ``task(progress, cancel) -> result`` calling the application
service. The core's plain-Python progress callback is adapted to a throttled Qt signal and the
core's :class:`CancelToken` is exposed as :meth:`ServiceRunnable.cancel`. Workers never touch
widgets: results and errors travel back through queued signals to the GUI thread.

Pool threads run at the GUI thread's priority on purpose. They share the GIL with it: a
lowered (niced) thread that holds the GIL is preempted by any busier process, and the GUI
thread then waits for the GIL until that thread gets the CPU back (a priority inversion).
With two busy processes beside a scan that cost up to 315 ms per stall and made the scan 8-15
times slower (nice values also added up with every task run on a reused pool thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desktop_audit.progress import CancelToken, ProgressCallback, ProgressEvent

Task = Callable[[ProgressCallback, CancelToken], object]

MAX_PROGRESS_PER_SECOND = 20


class WorkerSignals(QObject):
    """What a worker reports: batches of progress events, a result, or an exception."""

    progress = Signal(object)  # tuple[ProgressEvent, ...]: the latest event per source
    finished = Signal(object)  # the task's return value
    failed = Signal(object)  # the exception the task raised


class ProgressThrottle:
    """A ProgressCallback that keeps the newest event per source and emits at most N per second.

    ``finished`` events are never dropped: they flush at once. Thread-safe.
    """

    def __init__(
        self,
        emit: Callable[[tuple[ProgressEvent, ...]], None],
        per_second: int = MAX_PROGRESS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._emit = emit
        self._interval = 1.0 / per_second
        self._clock = clock
        self._pending: dict[str, ProgressEvent] = {}
        self._last = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._pending[event.source] = event
            now = self._clock()
            if not event.finished and now - self._last < self._interval:
                return
            self._last = now
            batch = tuple(self._pending.values())
            self._pending.clear()
        self._emit(batch)

    def flush(self) -> None:
        """Emit whatever is still pending."""
        with self._lock:
            batch = tuple(self._pending.values())
            self._pending.clear()
        if batch:
            self._emit(batch)


class ServiceRunnable(QRunnable):
    """Runs one task on a pool thread; keep a reference until ``finished`` or ``failed``."""

    def __init__(self, task: Task, per_second: int = MAX_PROGRESS_PER_SECOND) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = WorkerSignals()
        self._task = task
        self._per_second = per_second
        self.cancel_token = CancelToken()

    def cancel(self) -> None:
        """Ask the task to stop at its next check; it still returns what it has."""
        self.cancel_token.cancel()

    def run(self) -> None:
        throttle = ProgressThrottle(self.signals.progress.emit, self._per_second)
        try:
            result = self._task(throttle, self.cancel_token)
        except Exception as exc:  # every failure goes back to the GUI thread as a signal
            throttle.flush()
            self.signals.failed.emit(exc)
            return
        throttle.flush()
        self.signals.finished.emit(result)


def start(runnable: ServiceRunnable, pool: QThreadPool | None = None) -> ServiceRunnable:
    """Queue ``runnable`` on ``pool`` (the global pool by default) and return it."""
    (pool or QThreadPool.globalInstance()).start(runnable)
    return runnable


def run_blocking(
    pool: QThreadPool,
    function: Callable[[], object],
    on_done: Callable[[object], None],
    on_error: Callable[[object], None],
) -> ServiceRunnable:
    """Run a short blocking call (a query) in ``pool``; callbacks run on the GUI thread."""
    runnable = ServiceRunnable(lambda _progress, _cancel: function())
    _running.add(runnable)

    def done(result: object) -> None:
        _running.discard(runnable)
        on_done(result)

    def failed(exc: object) -> None:
        _running.discard(runnable)
        on_error(exc)

    runnable.signals.finished.connect(done)
    runnable.signals.failed.connect(failed)
    pool.start(runnable)
    return runnable


_running: set[ServiceRunnable] = set()  # keeps fire-and-forget runnables alive until done
