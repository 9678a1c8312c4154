"""The contract every source implements, and the context a scan hands to it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from desktop_audit.models import (
    Fragment,
    Hit,
    LocatedHit,
    Location,
    ScanErrorRecord,
    SourceGroup,
    SourceStats,
)
from desktop_audit.progress import CancelToken, ProgressCallback, ProgressEvent, no_progress


@dataclass
class ScanContext:
    """What a source needs from the scan: scope, cancel, progress, error and stats sinks."""

    home: Path
    roots: tuple[Path, ...]
    cancel: CancelToken = field(default_factory=CancelToken)
    progress: ProgressCallback = no_progress
    errors: list[ScanErrorRecord] = field(default_factory=list)
    stats: dict[str, SourceStats] = field(default_factory=dict)
    # Absolute paths already read by an earlier source (dotfiles before files): not read twice.
    claimed_paths: set[Path] = field(default_factory=set)

    def error(self, source: str, path: Path | str | None, message: str) -> None:
        """Record a problem with one item; never pass a secret in ``message``."""
        self.errors.append(ScanErrorRecord(source, None if path is None else str(path), message))

    def stat(self, source: str) -> SourceStats:
        return self.stats.setdefault(source, SourceStats())

    def report(self, event: ProgressEvent) -> None:
        self.progress(event)


class Source(Protocol):
    """A place to scan. ``group`` is the scope switch it belongs to."""

    group: SourceGroup

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        """Yield content to match; check ``ctx.cancel`` between items; never write anything."""
        ...

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        """Turn hits from this source's fragments into located hits (git: commits and refs)."""
        ...


def location_from_origin(hit: Hit) -> Location:
    """The location of a hit whose origin says everything (files, dotfiles, keychain)."""
    origin = hit.origin
    path: str | None = None
    if origin.path is not None:
        path = str(origin.path / origin.inner_path) if origin.inner_path else str(origin.path)
    return Location(
        source=origin.source,
        path=path,
        line=hit.line,
        commit=origin.commit,
        ref=origin.ref,
        keychain_item=origin.keychain_item,
    )


def locate_by_origin(hits: Sequence[Hit]) -> Iterator[LocatedHit]:
    """Default :meth:`Source.locate` for sources whose hits need no attribution."""
    for hit in hits:
        yield LocatedHit(hit, location_from_origin(hit))
