"""Run sources through the detector: fragments in, located and severity-adjusted hits out."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Sequence

from desktop_audit.models import Fragment, Hit, LocatedHit, Location, Severity, SourceKind
from desktop_audit.progress import ProgressEvent
from desktop_audit.scan import severity
from desktop_audit.scan.parallel import ParallelDetect
from desktop_audit.scan.sources.base import ScanContext, Source, reader_processes

log = logging.getLogger(__name__)
_REPOSITORY_SOURCES = (SourceKind.GIT_HISTORY, SourceKind.GIT_WORKTREE)

Detect = Callable[[Fragment], list[Hit]]


def run_sources(
    sources: Sequence[Source],
    detect: Detect,
    ctx: ScanContext,
    parallel: ParallelDetect | None = None,
) -> Iterator[LocatedHit]:
    """Scan every source in turn; a failing source is reported and the others still run.
    With ``parallel``, detection may run in worker processes (results in fragment order).

    On cancel, what was already found is still located and yielded (nothing is lost).
    """
    pipeline = parallel or ParallelDetect(detect, None)
    try:
        for source in sources:
            if ctx.cancel.cancelled:
                break
            yield from _run_source(source, pipeline, ctx)
    finally:
        pipeline.close()


def _run_source(source: Source, pipeline: ParallelDetect, ctx: ScanContext) -> Iterator[LocatedHit]:
    name = str(source.group)
    hits: list[Hit] = []
    unit = _UnitHits(ctx)
    pipeline.begin_source(reader_processes(source))
    try:
        try:
            for fragment in source.iter_fragments(ctx):
                if fragment.reused is not None:
                    hits.extend(fragment.reused)
                    continue
                for done, found in pipeline.feed(fragment):
                    hits.extend(found)
                    unit.add(done, found)
                if _stopped(ctx):
                    break
        finally:
            for done, found in pipeline.drain():  # what is in flight is kept, even on cancel
                hits.extend(found)
                unit.add(done, found)
    except Exception as exc:  # one broken source must not end the scan
        # Only the type: a message could quote scanned content.
        ctx.error(name, None, f"source stopped early: {type(exc).__name__}")
        log.debug("source %s failed", name, exc_info=False)
    try:
        place_severity = _PlaceSeverity(str(ctx.home), [str(r) for r in ctx.roots])
        for located in source.locate(hits, ctx):
            yield place_severity(located)
    except Exception as exc:
        ctx.error(name, None, f"could not attribute findings: {type(exc).__name__}")
    ctx.report(ProgressEvent(source=name, done=0, hits=len(hits), finished=True))


class _UnitHits:
    """Collects a unit's hits over its fragments; a unit read to its end is remembered."""

    def __init__(self, ctx: ScanContext) -> None:
        self._reuse = ctx.reuse
        self._unit: str | None = None
        self._hits: list[Hit] = []

    def add(self, fragment: Fragment, found: list[Hit]) -> None:
        if self._reuse is None or fragment.unit is None:
            return
        if fragment.unit != self._unit:  # a unit left unfinished (error, cancel) is dropped
            self._unit, self._hits = fragment.unit, []
        self._hits.extend(found)
        if fragment.unit_end:
            self._reuse.remember(fragment.unit, self._hits)
            self._unit, self._hits = None, []


def _stopped(ctx: ScanContext) -> bool:
    """Whether the user cancelled (a call, so type checkers don't assume it never changes)."""
    return ctx.cancel.cancelled


class _PlaceSeverity:
    """Each located hit with its severity adjusted for the place (worked out once per rule
    severity, kind and place: a history holds thousands of hits in a few hundred files).

    Test, example and vendored directories are looked for below the project the content
    belongs to, never in the path leading to it: a repository checked out as
    ``~/work/acme-e2e-tests`` keeps its severity, its ``tests/fixtures`` do not. The project is
    the repository (git sources), the nearest enclosing work tree of a file, else the scan root
    or the home it lies under."""

    def __init__(self, home: str, roots: Sequence[str] = ()) -> None:
        self._home = home.rstrip("/") or "/"
        self._roots = sorted((r.rstrip("/") or "/" for r in roots), key=len, reverse=True)
        self._known: dict[tuple[object, ...], Severity] = {}
        self._projects: dict[str, str] = {}  # directory -> the project it is in

    def __call__(self, located: LocatedHit) -> LocatedHit:
        hit, location = located.hit, located.location
        if location.line is not None and location.line < 1:
            # Lines are 1-based in every output; a source without one reports none.
            location = dataclasses.replace(location, line=None)
            located = LocatedHit(hit, location)
        base = self._base(hit, location)
        key = (hit.severity, hit.kind, location.source, location.ref, location.path, base)
        adjusted = self._known.get(key)
        if adjusted is None:
            adjusted = severity.adjust(hit.severity, hit.kind, location, base)
            self._known[key] = adjusted
        if adjusted is hit.severity:
            return located
        return LocatedHit(dataclasses.replace(hit, severity=adjusted), location)

    def _base(self, hit: Hit, location: Location) -> str:
        """Where the directories that may mark fixtures begin for ``location``."""
        if location.source in _REPOSITORY_SOURCES and hit.origin.path is not None:
            return str(hit.origin.path)
        if location.source is SourceKind.FILE and location.path:
            return self._project(location.path.rpartition("/")[0])
        return self._home

    def _project(self, directory: str) -> str:
        known = self._projects.get(directory)
        if known is not None:
            return known
        if directory in ("", "/"):
            found = self._outer(directory)
        elif directory == self._home or directory in self._roots:
            found = directory
        elif os.path.lexists(f"{directory}/.git"):
            found = directory  # a work tree: its own directories are what count
        else:
            found = self._project(directory.rpartition("/")[0])
        self._projects[directory] = found
        return found

    def _outer(self, directory: str) -> str:
        """The scan root (longest first) or home holding ``directory``."""
        for root in self._roots:
            if directory == root or directory.startswith(root + "/"):
                return root
        return self._home
