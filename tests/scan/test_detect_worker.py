"""The shared detection worker: one process at a lower priority, answering in order."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from desktop_audit.errors import DetectionWorkerError
from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.detect_worker import DetectorSpec, SharedWorker, pack
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy

SECRECY = Secrecy(bytes(range(32)), b"shared-salt-0001")
TOKEN = "GITHUB_TOKEN=ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"  # made up


def _batch(start: int, count: int = 20) -> list[Fragment]:
    out = []
    for i in range(start, start + count):
        text = "ordinary text\n" * 50 + (f"{TOKEN}  # {i}\n" if i % 3 == 0 else "")
        out.append(Fragment(text.encode(), Origin(SourceKind.FILE, Path(f"/home/u/f{i}.txt"))))
    return out


def test_batches_sent_ahead_are_answered_in_order() -> None:
    detector = Detector(load_ruleset(examples=False), SECRECY)
    worker = SharedWorker(DetectorSpec(SECRECY), room=1 << 19)
    try:
        batches = [_batch(i * 20) for i in range(3)]
        for batch in batches:  # sent before the worker has even started: none waits
            worker.send(pack(batch))
        for batch in batches:
            answer = worker.answer()
            expected = [[h.finding_id for h in detector.scan(f)] for f in batch]
            assert [[h.finding_id for h in hits] for hits in answer] == expected
            assert [h.origin for hits in answer for h in hits] == [
                f.origin for f in batch for _ in detector.scan(f)
            ]
        assert not worker.ready()
    finally:
        worker.close()
    assert worker.roomy or not hasattr(os, "sched_getaffinity")  # Linux widens the pipe


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling classes")
def test_the_worker_runs_only_on_idle_cpu_time() -> None:
    worker = SharedWorker(DetectorSpec(SECRECY), room=0)
    try:
        worker.send(pack(_batch(0, 1)))
        worker.answer()  # started and built
        assert worker.pid is not None
        assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # this process keeps its own
    finally:
        worker.close()


def test_a_closed_worker_ends_after_its_batch() -> None:
    worker = SharedWorker(DetectorSpec(SECRECY), room=0)
    worker.send(pack(_batch(0, 200)))
    started = time.monotonic()
    worker.close()  # mid-batch (or mid-start): never waits
    assert time.monotonic() - started < 1
    assert worker.stopped(timeout=30)


def test_a_worker_that_dies_is_an_error_on_the_next_look() -> None:
    worker = SharedWorker(_ExitingSpec(SECRECY), room=0)
    try:
        deadline = time.monotonic() + 30
        while not worker.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(DetectionWorkerError, match="stopped unexpectedly"):
            worker.answer()
        with pytest.raises(DetectionWorkerError):
            worker.send(pack(_batch(0)))
    finally:
        worker.close()


def test_a_detection_error_is_reported_by_type_only() -> None:
    worker = SharedWorker(_FailingSpec(SECRECY), room=0)
    try:
        worker.send(pack(_batch(0, 3)))
        with pytest.raises(DetectionWorkerError, match=r"worker process: ValueError$"):
            worker.answer()
    finally:
        worker.close()


class _ExitingSpec(DetectorSpec):
    def build(self) -> Detector:
        os._exit(3)  # the worker dies at once, as if killed


class _Failing:
    def scan(self, fragment: Fragment) -> list[object]:
        raise ValueError(fragment.data[:20])  # a message quoting content: never shown


class _FailingSpec(DetectorSpec):
    def build(self) -> Detector:
        return _Failing()  # type: ignore[return-value]
