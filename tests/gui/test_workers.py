"""The one background-work path: throttled progress, results, failures, cancel."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from desktop_audit.gui.workers import ProgressThrottle, ServiceRunnable, start
from desktop_audit.progress import CancelToken, ProgressCallback, ProgressEvent


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_keeps_latest_per_source_and_never_drops_finished() -> None:
    batches: list[tuple[ProgressEvent, ...]] = []
    clock = FakeClock()
    throttle = ProgressThrottle(batches.append, per_second=20, clock=clock)
    for n in range(100):  # 100 events within 10 ms: one batch only
        clock.now = n * 0.0001
        throttle(ProgressEvent("files", done=n))
    assert len(batches) == 1
    clock.now = 0.02
    throttle(ProgressEvent("git", done=1))
    throttle(ProgressEvent("files", done=500, finished=True))
    assert set(batches[-1]) == {
        ProgressEvent("git", done=1),
        ProgressEvent("files", done=500, finished=True),
    }
    clock.now = 0.021
    throttle(ProgressEvent("git", done=2))
    throttle.flush()
    assert batches[-1] == (ProgressEvent("git", done=2),)


def test_runnable_reports_progress_and_result_on_gui_thread(qtbot: QtBot) -> None:
    pool = QThreadPool()
    threads: list[bool] = []

    def task(progress: ProgressCallback, cancel: CancelToken) -> int:
        for n in range(5):
            progress(ProgressEvent("files", done=n))
        return 42

    runnable = ServiceRunnable(task)
    runnable.signals.progress.connect(
        lambda _events: threads.append(threading.current_thread() is threading.main_thread())
    )
    with qtbot.waitSignal(runnable.signals.finished) as blocker:
        start(runnable, pool)
    assert blocker.args == [42]
    assert threads
    assert all(threads)
    pool.waitForDone()


def test_runnable_failure_becomes_a_signal(qtbot: QtBot) -> None:
    pool = QThreadPool()

    def task(_progress: ProgressCallback, _cancel: CancelToken) -> None:
        raise ValueError("broken")

    runnable = ServiceRunnable(task)
    with qtbot.waitSignal(runnable.signals.failed) as blocker:
        start(runnable, pool)
    assert isinstance(blocker.args[0], ValueError)
    pool.waitForDone()


def test_cancel_reaches_the_task(qtbot: QtBot) -> None:
    pool = QThreadPool()
    started = threading.Event()

    def task(_progress: ProgressCallback, cancel: CancelToken) -> str:
        started.set()
        while not cancel.cancelled:
            threading.Event().wait(0.005)
        return "stopped"

    runnable = ServiceRunnable(task)
    with qtbot.waitSignal(runnable.signals.finished, timeout=5_000) as blocker:
        start(runnable, pool)
        assert started.wait(5)
        runnable.cancel()
    assert blocker.args == ["stopped"]
    pool.waitForDone()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_pool_threads_keep_the_gui_threads_priority(qtbot: QtBot) -> None:
    # A lowered pool thread holding the GIL stalls the GUI thread whenever another process
    # preempts it (workers.py): every task runs at the GUI thread's priority, run after run.
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # the same thread for every task
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def task(_progress: ProgressCallback, _cancel: CancelToken) -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen = []
    for _ in range(3):
        runnable = ServiceRunnable(task)
        with qtbot.waitSignal(runnable.signals.finished) as blocker:
            start(runnable, pool)
        seen.append(blocker.args[0])
    pool.waitForDone()
    assert seen == [gui, gui, gui]
