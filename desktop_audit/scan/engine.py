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
from desktop_audit.scan.sources.base import ScanContext, Source, is_repository, reader_processes

log = logging.getLogger(__name__)
_REPOSITORY_SOURCES = (SourceKind.GIT_HISTORY, SourceKind.GIT_WORKTREE)
_CONTENT_SOURCES = (SourceKind.FILE, SourceKind.GIT_HISTORY, SourceKind.GIT_WORKTREE)


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
    ctx.expect = pipeline.expect
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
        ctx.failed_sources.add(name)  # what it found is located, but not remembered as whole
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


_JUDGEMENTS = 100_000  # remembered path judgements (a bound for homes of millions of files)
_SEP = os.sep


def _slashes(path: str) -> str:
    """``path`` with ``/`` separators, as place severity reads paths (Windows paths use ``\\``;
    elsewhere a backslash is part of a name and stays)."""
    return path if _SEP == "/" else path.replace(_SEP, "/")


class _PlaceSeverity:
    """Each located hit with its severity adjusted for the place (worked out once per rule
    severity, kind and place: a history holds thousands of hits in a few hundred files).

    Test, example and vendored directories are looked for in the path below the home: inside
    a repository by every rule, outside it by exact name only, and never in the name the
    repository was checked out under: ``~/work/acme-e2e-tests/.env`` keeps its severity,
    ``~/work/acme-e2e-tests/tests/fixtures/key.env`` and a fixture repository kept in a
    project's ``tests/`` do not. The repository is the outermost one holding the content
    (git sources: the one it was read in)."""

    def __init__(self, home: str, roots: Sequence[str] = ()) -> None:
        self._home = _slashes(home).rstrip("/") or "/"
        self._roots = sorted((_slashes(r).rstrip("/") or "/" for r in roots), key=len, reverse=True)
        self._known: dict[tuple[object, ...], Severity] = {}
        self._judgements: dict[tuple[object, ...], tuple[str, str | None, bool]] = {}
        # directory -> (home or root it is under, outermost and innermost repository holding it)
        self._places: dict[str, tuple[str, str, str]] = {}

    def __call__(self, located: LocatedHit) -> LocatedHit:
        hit, location = located.hit, located.location
        if location.line is not None and location.line < 1:
            # Lines are 1-based in every output; a source without one reports none.
            location = dataclasses.replace(location, line=None)
            located = LocatedHit(hit, location, located.unit)
        base, judged, document = self._judged(hit, location)
        key = (hit.severity, hit.kind, location.source, location.ref, judged, base, document)
        adjusted = self._known.get(key)
        if adjusted is None:
            place = (
                location if judged == location.path else dataclasses.replace(location, path=judged)
            )
            adjusted = severity.adjust(hit.severity, hit.kind, place, base, document=document)
            self._known[key] = adjusted
        if adjusted is hit.severity:
            return located
        return LocatedHit(dataclasses.replace(hit, severity=adjusted), location, located.unit)

    def _judged(self, hit: Hit, location: Location) -> tuple[str, str | None, bool]:
        """:meth:`_judge`, and whether the location is in a written document (from the real
        path: judging may blank the document's own name outside repositories), remembered
        per path, source and repository (a history's hits name a few hundred paths thousands
        of times)."""
        origin = hit.origin.path
        key = (location.path, location.source, origin)
        known = self._judgements.get(key)
        if known is None:
            if len(self._judgements) >= _JUDGEMENTS:
                self._judgements.clear()
            document = severity.placement().is_document(_slashes(location.path or ""))
            known = self._judgements[key] = (*self._judge(hit, location), document)
        return known

    def _judge(self, hit: Hit, location: Location) -> tuple[str, str | None]:
        """The home to judge ``location`` below, and its path as judged: directories outside
        any repository count only by their exact names (``tests``, ``docs``, ``vendor``), not
        by a test word in them (``test-env``); a repository's checkout name never counts;
        inside a repository every rule applies (so ``tests/fixtures/`` between an outer and an
        inner repository does too). A commit or tag message has no file name to judge."""
        if not location.path or location.source not in _CONTENT_SOURCES:
            return self._home, location.path
        path = _slashes(location.path)
        origin = _slashes(str(hit.origin.path)) if hit.origin.path is not None else ""
        message = location.source in _REPOSITORY_SOURCES and path == origin
        if location.source in _REPOSITORY_SOURCES and (message or path.startswith(origin + "/")):
            directory = origin  # the repository it was read in (a clone's hits may differ)
        else:
            directory = path.rpartition("/")[0]
        outer, inner = self._place(directory)[1:]
        home = self._home.rstrip("/")
        start = len(home) + 1 if path.startswith(home + "/") else 0
        exact = severity.placement().fixture_dirs
        parts = path[start:].split("/")
        file_name = "" if message else parts.pop()
        judged: list[str] = []
        here = home if start else ""
        for part in parts:
            here = f"{here}/{part}" if here or start else f"/{part}" if part else ""
            if not part:
                continue
            if here in (outer, inner):
                judged.append("_")  # a checkout name
            elif outer and here.startswith(outer + "/"):
                judged.append(part)  # inside a repository: every rule
            else:
                judged.append(part if part.lower() in exact else "_")
        judged.append(file_name or "_")
        prefix = home + "/" if start else "/"
        return self._home, prefix + "/".join(judged)

    def _place(self, directory: str) -> tuple[str, str, str]:
        """The home or root ``directory`` is under, and the outermost and innermost
        repositories holding it (empty when none)."""
        chain: list[str] = []
        current = directory
        while True:
            known = self._places.get(current)
            if known is not None:
                base, outer, inner = known
                break
            if current in ("", "/"):
                base, outer, inner = self._outer(directory), "", ""  # outside every root
                break
            if current == self._home or current in self._roots:
                # a scan root may be a repository itself (a clone scanned on its own)
                found = current if current != self._home and is_repository(current) else ""
                base, outer, inner = current, found, found
                self._places[current] = (base, outer, inner)
                break
            chain.append(current)
            current = current.rpartition("/")[0]
        for below in reversed(chain):  # from the outermost down
            if is_repository(below):
                inner = below
                outer = outer or below
            self._places[below] = (base, outer, inner)
        return base, outer, inner

    def _outer(self, directory: str) -> str:
        """The scan root (longest first) or home holding ``directory``."""
        for root in self._roots:
            if directory == root or directory.startswith(root + "/"):
                return root
        return self._home
