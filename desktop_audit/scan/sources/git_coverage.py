"""Per-repository coverage for the git source: what was read, what is not on this machine
(shallow and partial clones), and where each commit lives (refs, stashes, reflogs only,
unreachable). Every count comes from a read-only git command; nothing is ever fetched."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from desktop_audit.scan.reuse import repository_unit
from desktop_audit.scan.sources.base import RepositoryCoverage, ScanContext
from desktop_audit.scan.sources.git_attribution import ref_facts, stash_commits
from desktop_audit.scan.sources.git_objects import ObjectCounts
from desktop_audit.scan.sources.gitcmd import Git, GitError

T = TypeVar("T")

SHALLOW = "shallow clone: history before the shallow boundary is not on this machine"
PARTIAL = (
    "partial clone: {n} objects were never downloaded and were not scanned (nothing is fetched)"
)


def is_partial(git_dir: Path) -> bool:
    """A promisor pack or ``extensions.partialClone`` marks a partial clone."""
    packs = git_dir / "objects" / "pack"
    if packs.is_dir() and any(packs.glob("*.promisor")):
        return True
    try:
        config = (git_dir / "config").read_text(encoding="utf-8", errors="replace").lower()
    except OSError:
        return False
    return "partialclone" in config or "promisor = true" in config


def present_blobs(git: Git, ids: set[str]) -> set[str]:
    """Which of ``ids`` this object store holds (``cat-file --batch-check``, no fetch)."""
    if not ids:
        return set()
    try:
        out = git.run(
            "cat-file", "--batch-check=%(objectname) %(objecttype)",
            stdin="".join(f"{sha}\n" for sha in sorted(ids)).encode("ascii"),
        )  # fmt: skip
    except GitError:
        return set()
    held = set()
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "blob":
            held.add(parts[0])
    return held


def _count(git: Git, *args: str) -> int:
    return int(git.run("rev-list", "--count", *args).strip() or 0)


class _Background(Generic[T]):
    """A value worked out on a daemon thread (a scan that stops early does not wait for it,
    nor does the process at exit); ``failed`` when the work raises."""

    def __init__(self, work: Callable[[], T], failed: T, name: str) -> None:
        self._value = failed  # unless the work ends normally
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name=name)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        with contextlib.suppress(Exception):
            self._value = work()

    def result(self) -> T:
        self._thread.join()
        return self._value


class _Known(Generic[T]):
    """A value known beforehand (the same interface as :class:`_Background`)."""

    def __init__(self, value: T) -> None:
        self._value = value

    def result(self) -> T:
        return self._value


# What a history walk counts: refs, stashes, commits reachable from refs, and from refs or
# reflogs (None: git could not say).
_Counts = tuple[int, int, int, int] | None
# A walk done while the objects are read: the refs and reflogs it saw, and its counts.
_Walk = tuple[bytes, _Counts] | None


class RepoProbe:
    """Fills one :class:`RepositoryCoverage` and routes the repository's errors to the scan."""

    def __init__(self, git: Git, path: Path, ctx: ScanContext, source: str) -> None:
        self.git = git
        self.path = path
        self.ctx = ctx
        self.source = source
        self.coverage = RepositoryCoverage(str(path))
        self.state: str | None = None  # the repository's fingerprint, when known
        self._missing_count: _Background[int] | _Known[int] | None = None
        self._walk: _Background[_Walk] | None = None  # the history walk, when under way
        ctx.coverage.append(self.coverage)

    def error(self, message: str) -> None:
        self.coverage.errors.append(message)
        self.ctx.error(self.source, self.path, message)

    def before(self, missing_objects: int | None = None) -> None:
        """Note shallow and partial clones (their missing history is an error entry). A
        partial clone's missing objects are counted by a git walk that runs while the
        objects are read (:meth:`after` collects it), unless ``missing_objects`` is known
        (an unchanged repository's earlier count, which also has its history's counts: only
        a repository being read has them counted meanwhile, by git on another core)."""
        git_dir = self.git.git_dir
        if missing_objects is None:
            self._walk = _Background(self._early_walk, None, "git-history")
        self.coverage.shallow = (git_dir / "shallow").is_file()
        self.coverage.partial = is_partial(git_dir)
        if self.coverage.shallow:
            self.error(SHALLOW)
        if self.coverage.partial:
            self._missing_count = (
                _Background(self._missing, -1, "git-missing")
                if missing_objects is None
                else _Known(missing_objects)
            )

    def _partial_counted(self) -> None:
        """The missing-object count of a partial clone, once its walk is done."""
        if self._missing_count is None:
            return
        self.coverage.missing_objects = self._missing_count.result()
        self._missing_count = None
        if self.coverage.missing_objects != 0:  # -1: unknown, still worth saying
            self.error(PARTIAL.format(n=self.coverage.missing_objects))

    def _missing(self) -> int:
        """Objects the history names that are absent (``--missing=print`` never fetches)."""
        try:
            out = self.git.run("rev-list", "--objects", "--all", "--missing=print")
        except GitError:
            return -1
        return sum(1 for line in out.splitlines() if line.startswith(b"?"))

    def after(
        self,
        counts: ObjectCounts,
        *,
        readable: bool,
        max_bytes: int,
        facts: bytes | None = None,
    ) -> None:
        """Record what the object stream saw, then where the commits live (``facts``: the
        refs and reflogs read once the objects were, when the caller has them)."""
        self._partial_counted()
        cov = self.coverage
        # Covered: read now, or read unchanged by an earlier scan with the same rules.
        cov.objects, cov.commits = counts.objects, counts.commits
        cov.blobs = counts.blobs + counts.reused_blobs
        cov.bytes += counts.reused_bytes
        cov.shared_blobs = counts.shared
        cov.reused_objects = counts.reused
        stats = self.ctx.stat(self.source)
        stats.add("objects", counts.objects)
        stats.add("commits", counts.commits)
        stats.add("tags", counts.tags)
        stats.add("skipped_binary", counts.binary)
        stats.add("skipped_too_large", counts.large)
        stats.add("shared_blobs", counts.shared)
        if counts.missing:
            cov.missing_objects += counts.missing
            stats.add("missing_objects", counts.missing)
            self.error(f"corrupt repository: {counts.missing} objects cannot be read")
        if counts.large:
            self.error(f"{counts.large} blobs larger than {max_bytes} bytes skipped")
        if readable:
            self._history(counts.commits, facts)
        else:
            cov.refs = cov.stashes = cov.reflog_only_commits = cov.unreachable_commits = -1

    def _history(self, commits: int, facts: bytes | None) -> None:
        cov = self.coverage
        reuse, unit, head = self.ctx.reuse, None, b""
        if reuse is not None and self.state is not None:
            # one slot per repository, holding the counts of its latest state
            unit = repository_unit("history", self.git.git_dir, "")
            head = self.state.encode("ascii") + b"\n"
            remembered = reuse.payload(unit)
            if remembered is not None and remembered.startswith(head):
                with contextlib.suppress(ValueError, TypeError):
                    (cov.refs, cov.stashes, cov.reflog_only_commits, cov.unreachable_commits) = (
                        json.loads(remembered[len(head) :])
                    )
                    return
        self._count_history(commits, facts)
        if reuse is not None and unit is not None and cov.unreachable_commits >= 0:
            counted = [cov.refs, cov.stashes, cov.reflog_only_commits, cov.unreachable_commits]
            reuse.keep(unit, head + json.dumps(counted).encode())

    def _count_history(self, commits: int, facts: bytes | None) -> None:
        """The counts of the walk done meanwhile, if the refs and reflogs are still those it
        saw (else, or without one, counted now)."""
        cov = self.coverage
        walk, self._walk = self._walk, None
        early = walk.result() if walk is not None else None
        counted: _Counts = None
        if early is not None:
            if facts is None:
                with contextlib.suppress(GitError):
                    facts = ref_facts(self.git)
            if early[0] == facts:
                counted = early[1]
        if counted is None:
            counted = self._walk_history()
        if counted is None:
            cov.reflog_only_commits = cov.unreachable_commits = -1
            return
        cov.refs, cov.stashes, reachable, with_reflogs = counted
        cov.reflog_only_commits = with_reflogs - reachable
        cov.unreachable_commits = max(commits - with_reflogs, 0)

    def _early_walk(self) -> _Walk:
        """:meth:`_walk_history` with the refs and reflogs it saw first."""
        try:
            facts = ref_facts(self.git)
        except GitError:
            return None
        return facts, self._walk_history()

    def _walk_history(self) -> _Counts:
        """Refs, stashes, and commits reachable from refs and from refs or reflogs (None:
        git could not say, or the scan was cancelled meanwhile)."""
        cancel = self.ctx.cancel
        try:
            refs = self.git.run("for-each-ref", "--format=%(refname)").splitlines()
            stashes = len(stash_commits(self.git))
            counts = []
            for args in (("--all",), ("--all", "--reflog")):
                if cancel.cancelled:
                    return None
                counts.append(_count(self.git, *args) if refs else 0)
        except (GitError, ValueError):
            return None
        return len(refs), stashes, counts[0], counts[1]
