"""GUI responsiveness benchmark (not a timed test): prints figures, asserts nothing.

1. Event-loop latency while the Scan page scans a large generated home (default 20,000
   files): a 10 ms precise QTimer records the gaps between its ticks, from the click on Start
   (the first gap counts) to one second after the scan finished (the results are shown and
   the pages reload then); max, p99 and every gap over 100 ms (with when) are reported. The
   GUI thread runs a real event loop (``QEventLoop.exec``) as the app does; ``--busy-wait``
   polls ``processEvents()`` + ``sleep(1 ms)`` instead, the harness used before (the GUI
   thread then retakes the GIL a thousand times a second, which adds GIL hand-off delays).
2. A 100,000-finding table: time to the first page, to re-sort and to filter.

    .venv/bin/python benchmarks/gui_latency.py [--files 20000] [--findings 100000]
        [--runs 1] [--busy-wait] [--trace FILE]

``--trace FILE`` writes, for every tick later than 50 ms, the Python stacks of all threads
(``faulthandler``, which needs no GIL) and how long the GUI thread itself was on the CPU
(little: it was waiting, e.g. for the GIL), and prints the full garbage collections with
their duration: the tools that found what stalled the GUI thread. (faulthandler reads other
threads' frames unlocked; in rare cases that crashes the run, leaving orphaned worker
processes.) ``--runs N`` scans N times, each into a fresh database (a first scan of the home,
not an incremental rescan).

Runs offscreen without a display; uses a passphrase key unless DESKTOP_AUDIT_KEY_BACKEND is set.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "DESKTOP_AUDIT_KEY_BACKEND" not in os.environ:
    os.environ["DESKTOP_AUDIT_KEY_BACKEND"] = "passphrase"
    os.environ.setdefault("DESKTOP_AUDIT_PASSPHRASE", "benchmark-passphrase")

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QThreadPool, QTimer  # noqa: E402

from desktop_audit.app.queries import FindingFilter  # noqa: E402
from desktop_audit.app.service import ScanOutcome  # noqa: E402
from desktop_audit.gui.main import application, build_window  # noqa: E402
from desktop_audit.gui.main_window import MainWindow  # noqa: E402
from desktop_audit.gui.models.findings_table import FindingColumn  # noqa: E402
from desktop_audit.gui.settings import GuiSettings  # noqa: E402
from desktop_audit.models import SourceGroup  # noqa: E402
from tests.gui.conftest import populate  # noqa: E402
from tests.gui.homegen import build_big_home  # noqa: E402


def wait_until(done: Callable[[], bool], timeout_s: float = 600.0) -> None:
    app = application()
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish")
        app.processEvents()
        time.sleep(0.001)


def window_for(db: Path, work: Path) -> MainWindow:
    settings = GuiSettings.at(work / f"settings-{db.stem}.ini")
    window = build_window(db, None, settings, QThreadPool())
    window.resize(1280, 800)
    window.show()
    return window


SETTLE_S = 1.0  # keep measuring this long after the scan finished (results, page reloads)
TRACE_LATE_S = 0.05  # --trace: dump the stacks when a tick is this late


class GapRecorder:
    """A 10 ms precise timer; records the gap before each tick and when it happened."""

    def __init__(self, trace: TextIO | None = None) -> None:
        self.gaps: list[float] = []
        self.stamps: list[float] = []
        self.started = time.monotonic()
        self._trace = trace
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._collections: dict[int, float] = {}
        self._cpu = 0.0
        self.full_collections: list[tuple[float, float, str]] = []  # (at, ms, thread)

    def start(self) -> None:
        if self._trace is not None:
            gc.callbacks.append(self._on_collection)
            faulthandler.dump_traceback_later(TRACE_LATE_S, repeat=True, file=self._trace)
        self.started = time.monotonic()
        self._cpu = time.thread_time()
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._trace is not None:
            faulthandler.cancel_dump_traceback_later()
            gc.callbacks.remove(self._on_collection)

    def _tick(self) -> None:
        gap = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        cpu, self._cpu = self._cpu, time.thread_time()
        busy = (self._cpu - cpu) * 1000  # the GUI thread's own CPU time during the gap
        at = time.monotonic() - self.started
        self.gaps.append(gap)
        self.stamps.append(at)
        if self._trace is not None:
            if gap > TRACE_LATE_S * 1000:
                self._trace.write(
                    f"=== the stacks above: a gap of {gap:.0f} ms ending at {at:.3f} s;"
                    f" the GUI thread was on the CPU for {busy:.0f} ms of it\n"
                )
                self._trace.flush()
            faulthandler.dump_traceback_later(TRACE_LATE_S, repeat=True, file=self._trace)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        now = time.perf_counter()
        thread = threading.current_thread()
        if phase == "start":
            self._collections[thread.ident or 0] = now
            return
        took = (now - self._collections.pop(thread.ident or 0, now)) * 1000
        at = time.monotonic() - self.started
        self.full_collections.append((at, took, thread.name))

    def report(self, label: str) -> float:
        gaps, stamps = self.gaps, self.stamps
        stalls = [f"{g:.0f} ms at {t:.1f} s" for g, t in zip(gaps, stamps, strict=True) if g > 100]
        p99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) > 100 else max(gaps)
        print(
            f"{label}: {len(gaps):,} ticks; event-loop gap max {max(gaps):.1f} ms, p99"
            f" {p99:.1f} ms, median {statistics.median(gaps):.1f} ms (10 ms timer)"
        )
        print(
            f"gaps over 100 ms: {len(stalls)}" + (f" ({', '.join(stalls[:12])})" if stalls else "")
        )
        for at, took, thread in self.full_collections:
            print(f"  full garbage collection ending at {at:.2f} s: {took:.0f} ms in {thread}")
        return max(gaps)


def run_until(done: Callable[[], bool], busy_wait: bool, timeout_s: float = 600.0) -> None:
    """Run the GUI thread's event loop until ``done()`` (checked every 5 ms)."""
    if busy_wait:
        wait_until(done, timeout_s)
        return
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    check = QTimer()
    check.setInterval(5)

    def poll() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    if not done():
        raise TimeoutError("benchmark step did not finish")


def scan_once(
    work: Path, home: Path, files: int, run: int, busy_wait: bool, trace: TextIO | None
) -> float:
    """One scan from the Scan page into a fresh database; returns the worst gap (ms)."""
    window = window_for(work / f"scan-{run}.db", work)
    page = window.scan
    page.home.setText(str(home))
    for group, box in page.group_boxes.items():
        box.setChecked(group in (SourceGroup.FILES, SourceGroup.DOTFILES, SourceGroup.HISTORY))
    finished: list[object] = []
    page.scan_finished.connect(finished.append)
    page.scan_failed.connect(finished.append)
    t0 = time.monotonic()
    _ = window.context.service.secrecy  # the key unlock runs on the GUI thread (prompt)
    print(f"key unlock on the GUI thread: {(time.monotonic() - t0) * 1000:.0f} ms (once)")
    recorder = GapRecorder(trace)
    if trace is not None:
        trace.write(f"##### run {run}\n")
    recorder.start()
    clicked = time.monotonic()
    page.start_scan()
    print(f"start_scan() on the GUI thread: {(time.monotonic() - clicked) * 1000:.0f} ms")
    run_until(lambda: bool(finished), busy_wait)
    seconds = time.monotonic() - recorder.started
    settle_until = time.monotonic() + SETTLE_S
    run_until(lambda: time.monotonic() > settle_until, busy_wait)
    recorder.stop()
    outcome = finished[0]
    workers = "failed"
    if isinstance(outcome, ScanOutcome):
        workers = str(outcome.scan.stats.get("detection", {}).get("worker_processes", 0))
    else:
        print(f"the scan failed: {type(outcome).__name__}: {outcome}")
    worst = recorder.report(
        f"run {run}: scan of {files:,} files {seconds:.1f} s ({workers} worker processes)"
        f" + {SETTLE_S:.0f} s after"
    )
    window.context.service.close()
    window.close()
    return worst


def scan_latency(
    work: Path, files: int, runs: int = 1, busy_wait: bool = False, trace: TextIO | None = None
) -> list[float]:
    print(f"generating a home with {files:,} files…", flush=True)
    home = build_big_home(work / "big", files=files, size=4_000)
    worst = [scan_once(work, home, files, run, busy_wait, trace) for run in range(1, runs + 1)]
    if runs > 1:
        print(f"worst gap per run (ms): {', '.join(f'{w:.0f}' for w in worst)}")
    return worst


def table_load(work: Path, findings: int) -> None:
    db = work / "table.db"
    print(f"recording {findings:,} findings…", flush=True)
    populate(db, findings)
    started = time.monotonic()
    window = window_for(db, work)
    page = window.findings
    model = page.model
    wait_until(lambda: not model.loading and model.rowCount() > 0)
    first = time.monotonic() - started
    rows = model.rowCount()
    page.table.viewport().repaint()

    def timed(action: Callable[[], None]) -> float:
        t0 = time.monotonic()
        action()
        wait_until(lambda: not model.loading)
        application().processEvents()
        page.table.viewport().repaint()
        return time.monotonic() - t0

    sort = timed(lambda: page.table.sortByColumn(FindingColumn.TITLE, model.sort_order))
    page.search.setText("000042")
    search = timed(page.apply_filters)
    matched = model.rowCount()
    clear = timed(lambda: model.set_filter(FindingFilter()))
    print(
        f"table of {rows:,} findings: window + first page {first * 1000:.0f} ms; sort by title"
        f" {sort * 1000:.0f} ms; search ({matched:,} match) {search * 1000:.0f} ms;"
        f" clear filter {clear * 1000:.0f} ms"
    )
    window.context.service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="scans to measure (fresh databases)")
    parser.add_argument("--busy-wait", action="store_true", help="poll processEvents() + sleep")
    parser.add_argument("--trace", type=Path, help="write stacks of late ticks to this file")
    args = parser.parse_args()
    application()
    with tempfile.TemporaryDirectory(prefix="gui-latency-") as tmp:
        work = Path(tmp)
        trace = args.trace.open("w", encoding="utf-8") if args.trace else None
        try:
            scan_latency(work, args.files, args.runs, args.busy_wait, trace)
        finally:
            if trace is not None:
                trace.close()
        if args.findings > 0:
            table_load(work, args.findings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
