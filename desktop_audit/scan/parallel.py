"""Detection on every core: fragments go to worker processes in batches, hits come back in
the order the fragments were given.

Matching is CPU-bound Python and C under one GIL, so threads would not help; processes do.
A scan starts detecting in its own process and brings workers up only once it has seen
:data:`START_AFTER` bytes (small scans never pay for starting them); :mod:`detect_worker`
has their side. With a core per worker, a pool gets every fragment. Where a source keeps a
core busy itself (git's ``cat-file``) and only one is left, a pool would compete with this
process for it; there one idle-priority worker *shares* detection instead: it is given a
batch whenever it has fewer than :data:`SHARED_AHEAD` unanswered, this process detects
everything else itself and takes back (detects here) a batch the worker is slow to answer,
so it never waits for the worker; and while this thread mostly waits for its source (git is
the bottleneck), nothing is shared (:data:`SHARE_WINDOW`).
"""

from __future__ import annotations

import enum
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from desktop_audit.errors import DetectionWorkerError
from desktop_audit.models import Fragment, Hit
from desktop_audit.scan.detect_worker import (
    DetectorSpec,
    SharedWorker,
    context,
    pack,
    worker_detect,
    worker_start,
)

if TYPE_CHECKING:  # imported where used: a rescan that detects nothing never loads them
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["WORKERS_ENV", "Detect", "DetectorSpec", "ParallelDetect", "worker_count"]

WORKERS_ENV = "DESKTOP_AUDIT_WORKERS"
START_AFTER = 32 << 20  # bytes detected in-process before workers are started
BATCH_BYTES = 4 << 20
BATCH_FRAGMENTS = 2048
# A shared worker starts sooner: it takes nothing from this process (its own start-up runs on
# the idle core), and the first 32 MB were a third of a requests scan's detection.
SHARED_START_AFTER = 4 << 20
SHARED_BATCH_BYTES = 256 << 10  # a shared worker's batch: 2-3 ms of detection
SHARED_BATCH_FRAGMENTS = 128
# Unanswered batches a shared worker may hold: one in work, two queued so that it never
# idles between this process's looks (requests: 3 against 2, 2.98 s against 3.15 s median).
SHARED_AHEAD = 3
# Bytes detected here past an unanswered shared batch before it is taken back (the worker is
# starved by other programs, or still starting).
TAKE_BACK_AFTER = 8 << 20
# Sharing pays only while this thread is the bottleneck. Every SHARE_WINDOW bytes its CPU
# time is set against the wall time: a thread mostly waiting for git (busy 0.33-0.57 on the
# 557 MB history while sharing, 0.65-0.68 not) stops sharing; one kept busy (0.76-1.00 on
# requests sharing, 0.84-1.00 not) shares again.
SHARE_WINDOW = 16 << 20
PAUSE_BELOW = 0.6
RESUME_ABOVE = 0.85

Detect = Callable[[Fragment], list[Hit]]


def worker_count() -> int:
    """Worker processes for this machine: the usable cores (``DESKTOP_AUDIT_WORKERS``
    overrides; 0 or 1 keeps detection in the scanning process)."""
    override = os.environ.get(WORKERS_ENV, "").strip()
    if override.isdigit():
        return int(override)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Mode(enum.Enum):
    HERE = "here"  # every fragment detected in the scanning process
    SHARED = "shared"  # one low-priority worker takes what it can, this process the rest
    POOL = "pool"  # a worker per core gets every fragment


class _Batch:
    """Fragments in feeding order and their hits: found here, a pool's ``future``, or a
    shared worker's answer to come (``waiting``: the content is kept, to take it back)."""

    __slots__ = ("fragments", "future", "here_before", "hits", "waiting")

    def __init__(
        self,
        fragments: list[Fragment],
        hits: list[list[Hit]] | None = None,
        future: Future[list[list[Hit]]] | None = None,
        here_before: int = -1,
    ) -> None:
        self.fragments = fragments
        self.hits = hits if hits is not None else []
        self.future = future
        self.waiting = here_before >= 0
        self.here_before = here_before  # bytes detected here when it was sent


def _light(fragment: Fragment) -> Fragment:
    """What unit bookkeeping needs of a fragment (its content can go)."""
    return Fragment(b"", fragment.origin, fragment.unit, fragment.unit_end)


class ParallelDetect:
    """Feeds fragments to ``detect`` (in-process) until :data:`START_AFTER` bytes, then to
    worker processes (all to them, or shared with this process: :meth:`begin_source`);
    yields ``(fragment, hits)`` in feeding order (a fragment a worker saw without its
    content). A pool worker that dies raises :class:`DetectionWorkerError` (its batches
    crossed without a copy kept here); a shared worker that dies loses nothing: its
    unanswered batches still hold their content and are detected here. Either way, later
    fragments are detected here."""

    def __init__(
        self,
        detect: Detect,
        spec: DetectorSpec | None,
        workers: int | None = None,
        start_after: int = START_AFTER,
        shared_batch: int = SHARED_BATCH_BYTES,
        share_window: int = SHARE_WINDOW,
    ) -> None:
        self._detect = detect
        self._spec = spec
        self._workers = worker_count() if workers is None else workers
        self._start_after = start_after
        self._shared_batch = shared_batch
        self._share_window = share_window
        self._seen = 0
        self._here_bytes = 0
        self._mode = _Mode.POOL
        self._failed = False  # a worker died: everything after is detected here
        self._pool: ProcessPoolExecutor | None = None
        self._shared: SharedWorker | None = None
        self._ahead = SHARED_AHEAD
        self._awaiting: deque[_Batch] = deque()  # sent to the shared worker, in order
        self._batch: list[Fragment] = []
        self._batch_bytes = 0
        self._flight: deque[_Batch] = deque()
        self.workers = 0  # worker processes started (0: detection stayed in this process)
        self.counts = {"here": 0, "workers": 0, "taken_back": 0}  # fragments detected where
        self.lost = 0  # shared workers that died (their batches were detected here)
        self._sharing = True  # see SHARE_WINDOW
        self._expected = False  # the source said enough is coming to start a worker now
        self._window: tuple[int, float, float] | None = None  # seen bytes, wall, CPU time

    def begin_source(self, readers: int) -> None:
        """A source starts that keeps ``readers`` other processes busy while it reads (git's
        ``cat-file`` inflating objects). A pool pays only where at least two cores are left
        for it (two cores and a git history: a pool measured 30-50% slower); with one left,
        one worker shares detection with this process; with none, it stays here. Call
        between sources (nothing in flight)."""
        spare = self._workers - readers
        self._sharing, self._window, self._expected = True, None, False
        if self._spec is None or self._workers < 2 or spare < 1:
            self._mode = _Mode.HERE
        else:
            self._mode = _Mode.SHARED if spare == 1 else _Mode.POOL

    def expect(self, nbytes: int) -> None:
        """The source is about to give at least ``nbytes`` to detect. A shared worker that
        many bytes would start anyway starts now: its start-up (0.2-0.4 s at idle priority)
        then runs while this process reads the source's first objects (a history's commit
        messages, 0.2-0.35 s on psf/requests) instead of after them."""
        if self._mode is _Mode.SHARED and nbytes >= SHARED_START_AFTER and not self._failed:
            self._expected = True
            self._started()

    def feed(self, fragment: Fragment) -> Iterator[tuple[Fragment, list[Hit]]]:
        """Detect ``fragment`` (now or later); yields whatever results are ready."""
        self._seen += len(fragment.data)
        if self._mode is _Mode.HERE or self._failed or not self._started():
            yield from self._after_flight(fragment)
            return
        if self._mode is _Mode.SHARED:
            yield from self._share(fragment)
            return
        self._batch.append(fragment)
        self._batch_bytes += len(fragment.data)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_FRAGMENTS:
            self._submit()
        yield from self._collect(block=len(self._flight) > 2 * self._workers)

    def drain(self) -> Iterator[tuple[Fragment, list[Hit]]]:
        """Everything still in flight, in order (a shared worker's unanswered batches are
        detected here rather than waited for)."""
        if self._batch and self._mode is _Mode.SHARED:
            self._batch_here()
        elif self._batch:
            self._submit()
        while self._flight:
            yield from self._collect(block=True)

    def close(self) -> None:
        """Stop the workers (what is queued is dropped: a cancel)."""
        self._stop_workers(wait=True)

    def stats(self) -> dict[str, int]:
        """Worker processes started, and fragments detected here, by workers, taken back."""
        fragments = {f"fragments_{where}": count for where, count in self.counts.items()}
        return {"worker_processes": self.workers, "workers_lost": self.lost, **fragments}

    def _here(self, fragment: Fragment) -> list[Hit]:
        self.counts["here"] += 1
        if not fragment.data:
            return []
        self._here_bytes += len(fragment.data)
        return self._detect(fragment)

    def _started(self) -> bool:
        """Whether this source's workers run (started once :data:`START_AFTER` bytes were
        seen)."""
        shared = self._mode is _Mode.SHARED
        if (self._shared if shared else self._pool) is not None:
            return True
        start_after = min(self._start_after, SHARED_START_AFTER) if shared else self._start_after
        if self._spec is None or (self._seen < start_after and not self._expected):
            return False
        if shared:
            # Pickled, a batch is its content and ~200 bytes a fragment.
            room = SHARED_AHEAD * (self._shared_batch + 200 * SHARED_BATCH_FRAGMENTS)
            self._shared = SharedWorker(self._spec, room)
            self._window = None  # its start (a wait here) says nothing of this thread's pace
            # Where a batch cannot wait in the pipe, send one only to a worker with none.
            self._ahead = SHARED_AHEAD if self._shared.roomy else 1
            self.workers = max(self.workers, 1)
            return True
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        self._pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=context(),
            initializer=worker_start,
            initargs=(self._spec,),
        )
        self.workers = max(self.workers, self._workers)
        return True

    def _share(self, fragment: Fragment) -> Iterator[tuple[Fragment, list[Hit]]]:
        """The worker is given whole batches while it has fewer than ``_ahead`` unanswered
        and sharing pays (:meth:`_gauge`); between them, and for a fragment larger than a
        batch, fragments are detected here."""
        size = len(fragment.data)
        if self._batch and self._batch_bytes + size > self._shared_batch:
            self._send()  # a batch never outgrows the room it has in the pipe
        self._take_answers()
        if self._failed:  # the worker died just now
            yield from self._after_flight(fragment)
            return
        if self._window is None or self._seen >= self._window[0] + self._share_window:
            self._gauge()
        if size > self._shared_batch or (
            not self._batch and (not self._sharing or len(self._awaiting) >= self._ahead)
        ):
            hits = self._here(fragment)
            if not self._flight:
                yield fragment, hits
                return
            last = self._flight[-1]
            if last.future is None and not last.waiting:  # found here too: one entry
                last.fragments.append(_light(fragment))
                last.hits.append(hits)
            else:
                self._flight.append(_Batch([_light(fragment)], [hits]))
        else:
            self._batch.append(fragment)
            self._batch_bytes += size
            if (
                self._batch_bytes >= self._shared_batch
                or len(self._batch) >= SHARED_BATCH_FRAGMENTS
            ):
                self._send()
        yield from self._collect(block=False)

    def _gauge(self) -> None:
        """Pause or resume sharing by how busy this thread was over the last window."""
        now, cpu = time.perf_counter(), time.thread_time()
        if self._window is not None:
            _, started, used = self._window
            busy = (cpu - used) / max(now - started, 1e-6)
            if busy < PAUSE_BELOW:
                self._sharing = False
            elif busy > RESUME_ABOVE:
                self._sharing = True
        self._window = (self._seen, now, cpu)

    def _send(self) -> None:
        if self._shared is None:  # pragma: no cover  (only batches for a running worker)
            raise RuntimeError("no detection worker")
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        entry = _Batch(batch, here_before=self._here_bytes)
        self._flight.append(entry)  # with its content: taken back if the worker dies
        try:
            self._shared.send(pack(batch))
        except DetectionWorkerError:
            self._shared_lost()
            return
        self._awaiting.append(entry)

    def _take_answers(self) -> None:
        """Every answer the shared worker has ready (one taken back meanwhile is dropped)."""
        worker = self._shared
        try:
            while self._awaiting and worker is not None and worker.ready():
                hits = worker.answer()
                entry = self._awaiting.popleft()
                if entry.waiting:
                    entry.hits, entry.waiting = hits, False
                    self.counts["workers"] += len(hits)
        except DetectionWorkerError:
            self._shared_lost()

    def _submit(self) -> None:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415  (loaded)

        if self._pool is None:  # pragma: no cover  (only batches for a running pool)
            raise RuntimeError("no detection workers")
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        try:
            future = self._pool.submit(worker_detect, pack(batch))
        except BrokenProcessPool as exc:
            self._lost()
            raise DetectionWorkerError("a detection worker process stopped unexpectedly") from exc
        # Keep only what unit bookkeeping needs: the content can go once it is sent.
        self._flight.append(_Batch([_light(f) for f in batch], future=future))

    def _collect(self, *, block: bool) -> Iterator[tuple[Fragment, list[Hit]]]:
        """Results ready at the front of the flight; ``block``: at least the first one."""
        flight = self._flight
        if block and self._awaiting:
            self._take_answers()
        while flight:
            entry = flight[0]
            if entry.future is not None:
                if not (block or entry.future.done()):
                    return
                entry.hits = self._answer(entry.future)
                self.counts["workers"] += len(entry.hits)
            elif entry.waiting:
                taking = block or self._shared is None  # the worker died: nothing will come
                if not (taking or self._here_bytes - entry.here_before > TAKE_BACK_AFTER):
                    return
                entry.hits = [self._here(f) for f in entry.fragments]  # taken back
                entry.waiting = False
                self.counts["taken_back"] += len(entry.fragments)
            if entry.here_before >= 0:  # a shared batch: its content can go now
                entry.fragments = [_light(f) for f in entry.fragments]
            flight.popleft()
            yield from zip(entry.fragments, entry.hits, strict=True)
            block = False

    def _answer(self, future: Future[list[list[Hit]]]) -> list[list[Hit]]:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415  (loaded)

        try:
            return future.result()
        except BrokenProcessPool as exc:
            self._lost()
            raise DetectionWorkerError("a detection worker process stopped unexpectedly") from exc

    def _after_flight(self, fragment: Fragment) -> Iterator[tuple[Fragment, list[Hit]]]:
        """``fragment`` detected here, after whatever is still in flight or batched (in
        order)."""
        if self._batch:  # gathered for a worker that is gone: detected here
            self._batch_here()
        while self._flight:
            yield from self._collect(block=True)
        yield fragment, self._here(fragment)

    def _shared_lost(self) -> None:
        """The shared worker died (killed, out of memory): nothing is lost. Its unanswered
        batches kept their content and are detected here as they come up, and so is
        everything after."""
        self._failed = True
        self.lost += 1
        self._awaiting.clear()
        self._close_shared()

    def _lost(self) -> None:
        """A worker died (killed, out of memory): what was in flight is lost; later
        fragments are detected here."""
        self._failed = True
        self._stop_workers(wait=False)

    def _batch_here(self) -> None:
        """The fragments gathered for the shared worker, detected here instead (in order,
        after what is in flight)."""
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        hits = [self._here(f) for f in batch]
        self._flight.append(_Batch([_light(f) for f in batch], hits))

    def _stop_workers(self, *, wait: bool) -> None:
        """Drop what is in flight or gathered, and stop the workers (``wait``: for a
        pool's running batches to end)."""
        self._flight.clear()
        self._awaiting.clear()
        self._batch, self._batch_bytes = [], 0
        self._close_shared()
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def _close_shared(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None
