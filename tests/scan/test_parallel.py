"""Detection in worker processes: the same hits as in-process, in feeding order."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.parallel import WORKERS_ENV, DetectorSpec, ParallelDetect, worker_count
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.sources.base import ScanContext
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


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_ruleset(examples=False), SECRECY)


def test_workers_find_what_the_scanning_process_finds_in_order(detector: Detector) -> None:
    fragments = _fragments(300)
    expected = [detector.scan(f) for f in fragments]
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0)
    try:
        got = [pair for f in fragments for pair in parallel.feed(f)]
        got += list(parallel.drain())
    finally:
        parallel.close()
    assert parallel.workers == 2
    assert [f.unit for f, _ in got] == [f.unit for f in fragments]
    assert all(not f.data for f, _ in got)  # content is not kept once sent
    ids = [[h.finding_id for h in hits] for _, hits in got]
    assert ids == [[h.finding_id for h in hits] for hits in expected]
    assert sum(map(len, ids)) >= 40


def test_small_scans_stay_in_process(detector: Detector) -> None:
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2)
    pairs = [pair for f in _fragments(20) for pair in parallel.feed(f)]
    assert len(pairs) == 20 and parallel.workers == 0
    assert not list(parallel.drain())


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


def test_a_source_with_a_reader_process_keeps_detection_in_process(detector: Detector) -> None:
    # Two cores, one of them busy with git's cat-file: workers would only compete for it.
    parallel = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=2, start_after=0)
    try:
        parallel.begin_source(readers=1)
        pairs = [pair for f in _fragments(50) for pair in parallel.feed(f)]
        assert len(pairs) == 50 and parallel.workers == 0
        parallel.begin_source(readers=0)  # the next source (files) may use them
        pairs = [pair for f in _fragments(50) for pair in parallel.feed(f)]
        pairs += list(parallel.drain())
        assert len(pairs) == 50 and parallel.workers == 2
    finally:
        parallel.close()
    wider = ParallelDetect(detector.scan, DetectorSpec(SECRECY), workers=4, start_after=0)
    try:
        wider.begin_source(readers=1)  # three cores left: worth it
        pairs = [pair for f in _fragments(50) for pair in wider.feed(f)] + list(wider.drain())
        assert len(pairs) == 50 and wider.workers == 4
    finally:
        wider.close()
