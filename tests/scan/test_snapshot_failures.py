"""A git pass that fails (a detection worker dies) leaves no repository snapshot behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from desktop_audit.models import Fragment, Hit
from desktop_audit.progress import CancelToken
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.parallel import ParallelDetect
from desktop_audit.scan.reuse import ReuseCache
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.git import GitSource
from tests.scan.sources.conftest import commit_file, git
from tests.scan.sources.detection import detector

TOKEN = 'TOKEN = "ghp_' + 'Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"\n'  # made up


class _DyingWorkers(ParallelDetect):
    """Results come later, as from worker processes; then a worker dies while a batch holding
    the second repository's fragments is in flight (as a killed process would)."""

    def __init__(self) -> None:
        super().__init__(detector(with_profile=False).scan, None)

    def feed(self, fragment: Fragment) -> Iterator[tuple[Fragment, list[Hit]]]:
        if fragment.origin.path is not None and fragment.origin.path.name == "b":
            raise RuntimeError("worker died")
        return iter(())  # in flight: its hits would have come with a later batch


def _scan(home: Path, cache: ReuseCache, pipeline: ParallelDetect | None = None) -> tuple:  # type: ignore[type-arg]
    ctx = ScanContext(home=home, roots=(home,), cancel=CancelToken(), reuse=cache)
    located = list(
        run_sources([GitSource([home])], detector(with_profile=False).scan, ctx, pipeline)
    )
    return ctx, {h.hit.rule_id for h in located}


def test_no_snapshot_is_kept_after_a_failed_pass(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name, content in (("a", TOKEN), ("b", "hello\n")):
        (home / name).mkdir(parents=True)
        git(home / name, "init", "-q")
        commit_file(home / name, "f.txt", content, "one")
    cache = ReuseCache("digest")
    ctx, found = _scan(home, cache, _DyingWorkers())
    assert found == set() and "git" in ctx.failed_sources
    ctx, found = _scan(home, cache)
    assert "reused_repositories" not in ctx.stat("git").counters
    assert found == {"github.pat"}, "a snapshot of the failed pass hid the token"
    ctx, found = _scan(home, cache)
    assert ctx.stat("git").counters.get("reused_repositories") == 2
    assert found == {"github.pat"}
