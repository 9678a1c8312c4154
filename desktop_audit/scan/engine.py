"""Run sources through the detector: fragments in, located and severity-adjusted hits out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence

from desktop_audit.models import Fragment, Hit, LocatedHit, Severity
from desktop_audit.progress import ProgressEvent
from desktop_audit.scan import severity
from desktop_audit.scan.parallel import ParallelDetect
from desktop_audit.scan.sources.base import ScanContext, Source, reader_processes

log = logging.getLogger(__name__)

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
        place_severity = _PlaceSeverity(str(ctx.home))
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
    severity, kind and place: a history holds thousands of hits in a few hundred files)."""

    def __init__(self, home: str) -> None:
        self._home = home
        self._known: dict[tuple[object, ...], Severity] = {}

    def __call__(self, located: LocatedHit) -> LocatedHit:
        hit, location = located.hit, located.location
        if location.line is not None and location.line < 1:
            # Lines are 1-based in every output; a source without one reports none.
            location = dataclasses.replace(location, line=None)
            located = LocatedHit(hit, location)
        key = (hit.severity, hit.kind, location.source, location.ref, location.path)
        adjusted = self._known.get(key)
        if adjusted is None:
            adjusted = severity.adjust(hit.severity, hit.kind, location, self._home)
            self._known[key] = adjusted
        if adjusted is hit.severity:
            return located
        return LocatedHit(dataclasses.replace(hit, severity=adjusted), location)
