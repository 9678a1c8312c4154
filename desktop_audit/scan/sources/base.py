"""The contract every source implements, and the context a scan hands to it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
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
from desktop_audit.scan.reuse import ReuseCache


@dataclass
class RepositoryCoverage:
    """What the git source read in one repository (one object store), for the coverage report.

    Counts are -1 when they could not be determined (a corrupt repository).
    """

    path: str
    objects: int = 0
    commits: int = 0
    blobs: int = 0
    bytes: int = 0
    refs: int = 0
    stashes: int = 0
    reflog_only_commits: int = 0
    unreachable_commits: int = 0
    shared_blobs: int = 0  # already read from another repository (a clone) in this scan
    reused_objects: int = 0  # read by an earlier scan with the same rules: not read again
    missing_objects: int = 0
    shallow: bool = False
    partial: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready copy (field name to value)."""
        return dataclasses.asdict(self)


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
    # (Real path, format) of each credential file a config named, once read or passed over.
    referenced: set[tuple[str, str]] = field(default_factory=set)
    # Per-repository coverage records, filled by the git source.
    coverage: list[RepositoryCoverage] = field(default_factory=list)
    # Units remembered from earlier scans with the same detection settings (None: read all).
    reuse: ReuseCache | None = None
    # desktop-audit's own data (its database, backups, logs): directories never entered.
    own_dirs: frozenset[Path] = frozenset()
    # Sources whose pass stopped on an error (detection may have lost fragments in flight).
    failed_sources: set[str] = field(default_factory=set)
    # Marks the stored locations of an unchanged unit as seen by this scan when the present
    # ones are exactly those whose identities give the digest; returns how many (0: nothing
    # done, the source hands back its hits).
    carry_over: Callable[[str, str], int] | None = None
    # Tells detection that a source is about to give at least this many bytes (a
    # repository's packed size), so that workers can start before the content arrives.
    expect: Callable[[int], None] = lambda _nbytes: None

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


def reader_processes(source: Source) -> int:
    """Processes a source keeps busy besides the scanning one while it reads (its optional
    ``reader_processes`` attribute; git: the ``cat-file`` that inflates objects)."""
    return int(getattr(source, "reader_processes", 0))


def keep_hits(hits: Sequence[Hit], allowed: Callable[[Hit], bool]) -> Iterator[LocatedHit]:
    """:func:`locate_by_origin` for the hits ``allowed`` accepts (sources that restrict what a
    fragment may produce, e.g. keychain attributes: endpoint references only)."""
    return locate_by_origin([hit for hit in hits if allowed(hit)])


def inside(container: Path, inner: str | None) -> str:
    """The place of ``inner`` (an archive member, a document part, a table) inside
    ``container``, as text. A member name comes from the scanned file: it can never lead out
    of the container (a leading ``/`` or a ``..`` step is kept as a plain name)."""
    if not inner:
        return str(container)
    parts = [part for part in inner.replace("\\", "/").split("/") if part not in ("", ".")]
    safe = [part if part != ".." else "%2e%2e" for part in parts] or ["_"]
    return str(container.joinpath(*safe))


def location_from_origin(hit: Hit) -> Location:
    """The location of a hit whose origin says everything (files, dotfiles, keychain)."""
    origin = hit.origin
    path: str | None = None
    if origin.path is not None:
        path = inside(origin.path, origin.inner_path)
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


def is_repository(directory: str) -> bool:
    """A work tree (``.git`` inside) or a bare repository (``HEAD`` and ``objects/``)."""
    if os.path.lexists(f"{directory}/.git"):
        return True
    return Path(directory, "HEAD").is_file() and Path(directory, "objects").is_dir()
