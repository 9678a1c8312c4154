"""Detection in worker processes: the same hits as in-process, in feeding order."""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from desktop_audit.errors import DetectionWorkerError
from desktop_audit.models import Fragment, Hit, LocatedHit, Origin, SourceGroup, SourceKind
from desktop_audit.progress import CancelToken
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.parallel import (
    SHARED_START_AFTER,
    WORKERS_ENV,
    Detect,
    DetectorSpec,
    ParallelDetect,
    worker_count,
)
from desktop_audit.scan.reuse import ReuseCache
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.sources.base import ScanContext, locate_by_origin
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.secrecy import Secrecy

KEY = bytes(range(32))
SECRECY = Secrecy(KEY, b"parallel-salt-01")
# Made-up values in provider formats (they authenticate nowhere).
PLANTED = (
    "GITHUB_TOKEN=ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq",
    'stripe_key = "sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc9Q2w"',
)


def _fragments(count: int) -> list[Fragment]:
    out = []
    for i in range(count):
        text = f"line {i} of ordinary text, nothing to see\n" * 20
        if i % 7 == 3:
            text += PLANTED[i % 2] + f"  # copy {i}\n"
        origin = Origin(SourceKind.FILE, Path(f"/home/u/f{i}.txt"))
        out.append(Fragment(text.encode(), origin, unit=f"u{i}", unit_end=True))
    return out


Results = list[tuple[Fragment, list[Hit]]]


def _feed_all(
    parallel: ParallelDetect, fragments: list[Fragment], fed: list[Fragment], got: Results
) -> None:
    """Feed ``fragments`` once, noting each in ``fed`` and what comes back in ``got``."""
    for fragment in fragments:
        fed.append(fragment)
        got.extend(parallel.feed(fragment))


def _feed_until(
    parallel: ParallelDetect,
    fragments: list[Fragment],
    done: Callable[[], bool],
    fed: list[Fragment],
    got: Results,
) -> None:
    """Feed ``fragments`` over and over until ``done()`` (at most a minute)."""
    deadline = time.monotonic() + 60
    while not done() and time.monotonic() < deadline:
        _feed_all(parallel, fragments, fed, got)


def _assert_as_in_process(detector: Detector, fed: Sequence[Fragment], got: Results) -> None:
    """Every fragment fed came back once, in feeding order, with the hits detection in this
    process finds in it."""
    assert [f.unit for f, _ in got] == [f.unit for f in fed]
    ids = [[h.finding_id for h in hits] for _, hits in got]
    assert ids == [[h.finding_id for h in detector.scan(f)] for f in fed]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_ruleset(examples=False), SECRECY)


def test_workers_find_what_the_scanning_process_finds_in_order(detector: Detector) -> None:
    fragments = _fragments(300)
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0)
    try:
        got = [pair for f in fragments for pair in parallel.feed(f)]
        got += list(parallel.drain())
    finally:
        parallel.close()
    assert parallel.workers == 2
    assert all(not f.data for f, _ in got)  # content is not kept once sent
    _assert_as_in_process(detector, fragments, got)
    assert sum(len(hits) for _, hits in got) >= 40


def test_small_scans_stay_in_process(detector: Detector) -> None:
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2)
    pairs = [pair for f in _fragments(20) for pair in parallel.feed(f)]
    assert len(pairs) == 20 and parallel.workers == 0
    assert not list(parallel.drain())


def test_a_source_that_expects_much_starts_its_shared_worker_before_any_fragment(
    detector: Detector,
) -> None:
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2)
    try:
        parallel.begin_source(readers=0)  # a pool: started by what is seen, never expected
        parallel.expect(1 << 30)
        parallel.begin_source(readers=1)
        parallel.expect(SHARED_START_AFTER - 1)  # a small repository: nothing started
        assert parallel.workers == 0
        parallel.expect(SHARED_START_AFTER)
        assert parallel.workers == 1  # started before the first fragment came
        fragments = _fragments(20)
        got = [pair for f in fragments for pair in parallel.feed(f)] + list(parallel.drain())
        _assert_as_in_process(detector, fragments, got)
    finally:
        parallel.close()


def test_workers_get_sub_keys_never_the_installation_key() -> None:
    pickled = pickle.dumps(DetectorSpec(SECRECY))
    assert KEY not in pickled
    restored = pickle.loads(pickled).secrecy  # noqa: S301  (our own bytes)
    assert restored.finding_id("r", b"x") == SECRECY.finding_id("r", b"x")
    assert restored.decrypt(SECRECY.encrypt(b"context")) == b"context"


def test_worker_count_follows_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert worker_count() == 1
    monkeypatch.delenv(WORKERS_ENV)
    assert worker_count() >= 1


def test_a_scan_through_workers_locates_the_same_hits(detector: Detector, tmp_path: Path) -> None:
    for i in range(40):
        body = "plain text\n" * 50 + (PLANTED[i % 2] + "\n" if i % 5 == 0 else "")
        (tmp_path / f"f{i}.txt").write_text(body, encoding="utf-8")

    def scan(parallel: ParallelDetect | None) -> list[tuple[str, str | None, int | None]]:
        ctx = ScanContext(home=tmp_path, roots=(tmp_path,))
        located = run_sources([FilesSource((tmp_path,))], detector.scan, ctx, parallel)
        return sorted((h.hit.finding_id, h.location.path, h.location.line) for h in located)

    inline = scan(None)
    workers = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0)
    assert scan(workers) == inline
    assert len(inline) == 8 and workers.workers == 2


def test_a_reader_process_on_two_cores_shares_detection_with_one_worker(
    detector: Detector,
) -> None:
    # Two cores, one of them busy with git's cat-file now and then: one worker takes what
    # it can, this process detects the rest and never waits for it.
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0)
    try:
        parallel.begin_source(readers=1)
        pairs = [pair for f in _fragments(50) for pair in parallel.feed(f)]
        pairs += list(parallel.drain())
        assert len(pairs) == 50 and parallel.workers == 1
        parallel.begin_source(readers=0)  # the next source (files): a pool of two
        pairs = [pair for f in _fragments(50) for pair in parallel.feed(f)]
        pairs += list(parallel.drain())
        assert len(pairs) == 50 and parallel.workers == 2
    finally:
        parallel.close()
    wider = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=4, start_after=0)
    try:
        wider.begin_source(readers=1)  # three cores left: a pool, as without a reader
        pairs = [pair for f in _fragments(50) for pair in wider.feed(f)] + list(wider.drain())
        assert len(pairs) == 50 and wider.workers == 4 and wider.counts["here"] == 0
    finally:
        wider.close()


@pytest.mark.parametrize("workers", [0, 1])
def test_one_core_or_the_override_keeps_everything_in_process(
    detector: Detector, workers: int
) -> None:
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=workers, start_after=0)
    try:
        for readers in (1, 0):
            parallel.begin_source(readers)
            pairs = [pair for f in _fragments(30) for pair in parallel.feed(f)]
            assert len(pairs) == 30 and not list(parallel.drain())
        assert parallel.workers == 0 and parallel.counts["here"] == 60
    finally:
        parallel.close()


def _shared(detect: Detect, spec: DetectorSpec | None = None) -> ParallelDetect:
    """Two cores and a reader process: one worker shares detection with this process
    (batches of a few fragments, so that many cross)."""
    spec = spec or DetectorSpec(SECRECY)
    parallel = ParallelDetect(detect, spec, workers=2, start_after=0, shared_batch=4096)
    parallel.begin_source(readers=1)
    return parallel


def test_shared_detection_yields_in_feeding_order(detector: Detector) -> None:
    parallel = _shared(detector.scan)
    fed: list[Fragment] = []
    got: Results = []
    try:
        # Feed until the worker (started on the way, at low priority) has answered some
        # batches itself; this process detects whatever it does not take.
        _feed_until(parallel, _fragments(300), lambda: parallel.counts["workers"] >= 20, fed, got)
        got.extend(parallel.drain())
    finally:
        parallel.close()
    assert parallel.workers == 1
    assert parallel.counts["workers"] >= 20 and parallel.counts["here"] > 0
    assert parallel.counts["workers"] + parallel.counts["here"] == len(fed)
    _assert_as_in_process(detector, fed, got)


def test_what_the_worker_has_not_answered_is_detected_here_not_waited_for(
    detector: Detector,
) -> None:
    # A worker that is slow to start (or starved by other programs): draining takes the
    # batches back instead of waiting.
    parallel = _shared(detector.scan, _SlowSpec(SECRECY))
    fragments = _fragments(100)
    try:
        started = time.monotonic()
        got = [pair for f in fragments for pair in parallel.feed(f)]
        got += list(parallel.drain())
        assert time.monotonic() - started < 2  # the worker sleeps 3 s before it starts
    finally:
        parallel.close()
    assert parallel.counts["workers"] == 0 and parallel.counts["taken_back"] > 0
    _assert_as_in_process(detector, fragments, got)


def test_sharing_pauses_while_this_thread_waits_for_its_source(detector: Detector) -> None:
    # As where git is the bottleneck: the worker would only take CPU time from git.
    window = 1 << 21
    parallel = ParallelDetect(
        detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0, share_window=window
    )
    parallel.begin_source(readers=1)
    chunk = ("plain text, nothing to see\n" * 4855).encode()  # 128 KB
    per_window = window // len(chunk) + 1
    fed = 0

    def feed(windows: int, wait: float) -> None:
        nonlocal fed
        for _ in range(windows * per_window):
            origin = Origin(SourceKind.FILE, Path(f"/home/u/f{fed}.txt"))
            list(parallel.feed(Fragment(chunk, origin, unit=f"u{fed}", unit_end=True)))
            fed += 1
            if wait:
                time.sleep(wait)  # waiting for the next object

    try:
        feed(3, wait=0.005)
        here = parallel.counts["here"]
        feed(1, wait=0.005)
        assert parallel.counts["here"] - here >= per_window  # paused: all detected here
        shared = parallel.counts["workers"] + parallel.counts["taken_back"]
        feed(6, wait=0)
        assert parallel.counts["workers"] + parallel.counts["taken_back"] > shared  # resumed
        list(parallel.drain())
    finally:
        parallel.close()


@pytest.mark.parametrize("readers", [1, 0], ids=["shared", "pool"])
def test_close_with_batches_in_flight_stops_the_workers(detector: Detector, readers: int) -> None:
    parallel = ParallelDetect(
        detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0, shared_batch=4096
    )
    parallel.begin_source(readers)
    for fragment in _fragments(3000):  # several pool batches: some are still queued
        list(parallel.feed(fragment))
    started = time.monotonic()
    parallel.close()  # a cancel: nothing drained (a pool's running batches end first)
    assert time.monotonic() - started < (1 if readers else 20)
    assert not list(parallel.drain())
    parallel.close()  # twice is harmless


def test_a_cancelled_scan_keeps_what_was_in_flight(detector: Detector) -> None:
    cancel = CancelToken()
    fragments = _fragments(400)
    reuse = _Remembering()
    ctx = ScanContext(home=Path("/home/u"), roots=(), cancel=cancel, reuse=reuse)
    source = _ListSource(fragments, cancel_after=250, cancel=cancel)
    located = list(run_sources([source], detector.scan, ctx, _shared(detector.scan)))
    fed = fragments[:250]
    assert len(located) == sum(len(detector.scan(f)) for f in fed) > 0
    # Every unit fed before the cancel was remembered, in order, with its own hits.
    assert reuse.kept == {f.unit: [h.finding_id for h in detector.scan(f)] for f in fed}
    assert list(reuse.kept) == [f.unit for f in fed]


def test_a_pool_worker_that_dies_is_a_clear_error_not_a_hang(detector: Detector) -> None:
    parallel = ParallelDetect(
        detector.scan, _ExitingSpec(SECRECY), workers=2, start_after=0, shared_batch=4096
    )
    parallel.begin_source(0)
    deadline = time.monotonic() + 60
    try:
        with pytest.raises(DetectionWorkerError, match="stopped"):
            while time.monotonic() < deadline:
                for fragment in _fragments(200):
                    list(parallel.feed(fragment))
                list(parallel.drain())
        # A source after it still has its fragments detected (here).
        parallel.begin_source(0)
        pairs = [pair for f in _fragments(30) for pair in parallel.feed(f)]
        assert len(pairs + list(parallel.drain())) == 30
    finally:
        parallel.close()


def test_a_shared_worker_that_dies_loses_nothing(detector: Detector) -> None:
    # Its batches keep their content until answered: a worker that dies (here at its start)
    # leaves them to be detected in this process, in order, with every hit.
    parallel = _shared(detector.scan, _ExitingSpec(SECRECY))
    fed: list[Fragment] = []
    got: Results = []
    try:
        _feed_until(parallel, _fragments(200), lambda: parallel.lost > 0, fed, got)
        got.extend(parallel.drain())
    finally:
        parallel.close()
    assert parallel.lost == 1 and parallel.stats()["workers_lost"] == 1
    assert parallel.counts["workers"] == 0 and parallel.counts["taken_back"] > 0
    _assert_as_in_process(detector, fed, got)


def test_a_shared_worker_killed_mid_scan_loses_nothing(detector: Detector) -> None:
    # As the system's out-of-memory killer would: after it has answered some batches.
    parallel = _shared(detector.scan)
    fragments = _fragments(300)
    fed: list[Fragment] = []
    got: Results = []
    try:
        _feed_until(parallel, fragments, lambda: parallel.counts["workers"] >= 20, fed, got)
        worker = parallel._shared
        assert worker is not None and worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.stopped(timeout=30)
        for _ in range(2):  # the loss is found on the way; the rest is detected here
            _feed_all(parallel, fragments, fed, got)
        got.extend(parallel.drain())
    finally:
        parallel.close()
    assert parallel.lost == 1
    _assert_as_in_process(detector, fed, got)


class _SlowSpec(DetectorSpec):
    def build(self) -> Detector:
        time.sleep(3)
        return super().build()


class _ExitingSpec(DetectorSpec):
    def build(self) -> Detector:
        os._exit(3)  # the worker process dies at once, as if killed


class _Remembering(ReuseCache):
    def __init__(self) -> None:
        super().__init__("digest")
        self.kept: dict[str, list[str]] = {}

    def remember(self, unit: str, hits: Sequence[Hit]) -> None:
        self.kept[unit] = [h.finding_id for h in hits]
        super().remember(unit, hits)


class _ListSource:
    """Ready fragments; the scan is cancelled once ``cancel_after`` of them were handed out."""

    group = SourceGroup.FILES
    reader_processes = 1

    def __init__(self, fragments: list[Fragment], cancel_after: int, cancel: CancelToken) -> None:
        self.fragments = fragments
        self.cancel_after = cancel_after
        self.cancel = cancel

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        for i, fragment in enumerate(self.fragments, start=1):
            if i == self.cancel_after:
                self.cancel.cancel()
            yield fragment

    def locate(self, hits: list[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return locate_by_origin(hits)
