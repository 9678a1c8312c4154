"""Detection on every core: fragments go to worker processes in batches, hits come back in
the order the fragments were given.

Matching is CPU-bound Python and C under one GIL, so threads would not help; processes do.
A scan starts detecting in its own process and brings the workers up only once it has seen
:data:`START_AFTER` bytes (small scans never pay for starting them). Workers are started with
``forkserver`` (``spawn`` where there is none): never a fork of a process running other
threads (the GUI). Each worker builds the same detector from a :class:`DetectorSpec`: rule
files, profile and the secrecy sub-keys (pickled without the installation key). Only
fragments (content in memory) and hits (no raw secret) cross the pipes.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_audit.models import Fragment, Hit
from desktop_audit.profile import Profile
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy

if TYPE_CHECKING:  # imported where used: a rescan that detects nothing never loads them
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

    from desktop_audit.scan.detector import Detector

WORKERS_ENV = "DESKTOP_AUDIT_WORKERS"
START_AFTER = 32 << 20  # bytes detected in-process before workers are started
BATCH_BYTES = 4 << 20
BATCH_FRAGMENTS = 2048

Detect = Callable[[Fragment], list[Hit]]


@dataclass(frozen=True)
class DetectorSpec:
    """Everything a worker needs to build the scan's detector (picklable)."""

    secrecy: Secrecy
    extra_rule_files: tuple[Path, ...] = ()
    profile: Profile | None = None

    def build(self) -> Detector:
        from desktop_audit.scan.detector import Detector  # noqa: PLC0415

        ruleset = load_ruleset(self.extra_rule_files, self.profile, examples=False)
        return Detector(ruleset, self.secrecy, self.profile)


_WORKER_DETECTOR: Detector | None = None


def _worker_start(spec: DetectorSpec) -> None:
    global _WORKER_DETECTOR  # noqa: PLW0603  (one detector per worker process)
    _WORKER_DETECTOR = spec.build()


def _worker_detect(batch: list[Fragment]) -> list[list[Hit]]:
    detector = _WORKER_DETECTOR
    if detector is None:  # pragma: no cover  (the initializer always ran)
        raise RuntimeError("detection worker without a detector")
    return [detector.scan(fragment) for fragment in batch]


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


def _context() -> multiprocessing.context.BaseContext:
    import multiprocessing  # noqa: PLC0415

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class ParallelDetect:
    """Feeds fragments to ``detect`` (in-process) until :data:`START_AFTER` bytes, then to
    worker processes; yields ``(fragment without its data, hits)`` in feeding order."""

    def __init__(
        self,
        detect: Detect,
        spec: DetectorSpec | None,
        workers: int | None = None,
        start_after: int = START_AFTER,
    ) -> None:
        self._detect = detect
        self._spec = spec
        self._workers = worker_count() if workers is None else workers
        self._start_after = start_after
        self._seen = 0
        self._pool: ProcessPoolExecutor | None = None
        self._batch: list[Fragment] = []
        self._batch_bytes = 0
        self._flight: deque[tuple[list[Fragment], Future[list[list[Hit]]]]] = deque()
        self._in_process = False  # this source's fragments are detected here (begin_source)
        self.workers = 0  # worker processes started (0: detection stayed in this process)

    def begin_source(self, readers: int) -> None:
        """A source starts that keeps ``readers`` other processes busy while it reads (git's
        ``cat-file`` inflating objects). Workers pay only where at least two cores are left
        for them: with fewer, its fragments are detected in this process (two cores and a git
        history: workers measured 30-50% slower). Call between sources (nothing in flight)."""
        self._in_process = self._workers - readers < 2

    def feed(self, fragment: Fragment) -> Iterator[tuple[Fragment, list[Hit]]]:
        """Detect ``fragment`` (now or later); yields whatever results are ready."""
        self._seen += len(fragment.data)
        if self._in_process or (self._pool is None and not self._want_pool()):
            yield fragment, self._detect(fragment) if fragment.data else []
            return
        self._batch.append(fragment)
        self._batch_bytes += len(fragment.data)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_FRAGMENTS:
            self._submit()
        yield from self._collect(block=len(self._flight) > 2 * self._workers)

    def drain(self) -> Iterator[tuple[Fragment, list[Hit]]]:
        """Everything still in flight, in order."""
        if self._batch:
            self._submit()
        while self._flight:
            yield from self._collect(block=True)

    def close(self) -> None:
        """Stop the workers (queued batches are dropped: a cancel)."""
        self._flight.clear()
        self._batch = []
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _want_pool(self) -> bool:
        if self._spec is None or self._workers < 2 or self._seen < self._start_after:
            return False
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        self._pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=_context(),
            initializer=_worker_start,
            initargs=(self._spec,),
        )
        self.workers = self._workers
        return True

    def _submit(self) -> None:
        if self._pool is None:  # pragma: no cover  (only batches for a running pool)
            raise RuntimeError("no detection workers")
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        future = self._pool.submit(_worker_detect, batch)
        # Keep only what unit bookkeeping needs: the content can go once it is sent.
        light = [Fragment(b"", f.origin, f.unit, f.unit_end) for f in batch]
        self._flight.append((light, future))

    def _collect(self, *, block: bool) -> Iterator[tuple[Fragment, list[Hit]]]:
        while self._flight and (block or self._flight[0][1].done()):
            batch, future = self._flight.popleft()
            yield from zip(batch, future.result(), strict=True)
            block = False
