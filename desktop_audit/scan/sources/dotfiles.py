"""The ``dotfiles`` source: known credential files from the catalogue, relative to home."""

from __future__ import annotations

import fnmatch
import functools
import glob
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from desktop_audit.models import Fragment, Hit, LocatedHit, Origin, SourceGroup, SourceKind
from desktop_audit.scan.sources.base import ScanContext, locate_by_origin
from desktop_audit.scan.sources.catalogue import (
    Catalogue,
    CatalogueEntry,
    WalkRules,
    load_catalogue,
)
from desktop_audit.scan.sources.file_reuse import reusable
from desktop_audit.scan.sources.fragments import file_fragments
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.reading import SkipFile, read_whole
from desktop_audit.scan.sources.referenced import referenced_fragments, references
from desktop_audit.scan.sources.sealed import SEALED, unsealed
from desktop_audit.scan.sources.walk import os_error_message, within

NAME = "dotfiles"
# Formats read whole even when they hold NUL bytes (tokens sit in plain text inside them).
RAW_FORMATS = frozenset({"binary", "sqlite", "gpg-private-key", *SEALED})
OUTSIDE = "symbolic link leads outside the scanned roots, skipped"


def expand(home: Path, entries: Sequence[CatalogueEntry]) -> Iterator[tuple[Path, CatalogueEntry]]:
    """Existing paths for catalogue entries (each path once, first entry wins)."""
    seen: set[Path] = set()
    for entry in entries:
        if not entry.enabled:
            continue
        if glob.has_magic(entry.path):
            rels = sorted(glob.glob(entry.path, root_dir=home))  # noqa: PTH207 - relative names
        else:
            rels = [entry.path] if os.path.lexists(home / entry.path) else []
        for rel in rels:
            if any(fnmatch.fnmatchcase(rel, pattern) for pattern in entry.exclude):
                continue
            path = home / rel
            if path not in seen and not path.is_dir():
                seen.add(path)
                yield path, entry


def readable_target(path: Path, ctx: ScanContext, source: str = NAME) -> bool:
    """False (with an error recorded) when a symlinked path leaves the home and roots."""
    if within(path, (ctx.home, *ctx.roots)):
        return True
    ctx.error(source, path, OUTSIDE)
    return False


class DotfilesSource:
    """Yield each existing catalogued file with its format, plus decoded hidden values."""

    group = SourceGroup.DOTFILES

    def __init__(self, home: Path, catalogue: Catalogue | None = None) -> None:
        self.home = home
        self.catalogue = catalogue if catalogue is not None else load_catalogue()

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)
        rules = self.catalogue.walk
        for path, entry in expand(self.home, self.catalogue.dotfiles):
            if ctx.cancel.cancelled:
                break
            if path in ctx.claimed_paths or not readable_target(path, ctx):
                continue
            origin = Origin(SourceKind.DOTFILE, path=path, file_format=entry.format)
            named = references(path, follow=True)  # credential files it names: followed below
            size = 0
            try:
                raw = entry.format in RAW_FORMATS
                read = functools.partial(_read, path, rules, origin, raw=raw)
                for fragment in reusable(path, origin, ctx, read, follow=True, remember=not named):
                    if raw or not fragment.origin.fixed_line:
                        size += len(fragment.data)
                    yield fragment
            except SkipFile as skip:
                stats.add(skip.counter)
                if skip.report:
                    ctx.error(NAME, path, str(skip))
                continue
            except OSError as exc:
                stats.add("unreadable")
                ctx.error(NAME, path, os_error_message(exc))
                continue
            ctx.claimed_paths.add(path)
            ctx.claimed_paths.add(Path(os.path.realpath(path)))
            stats.add("files")
            stats.add("bytes", size)
            pacer.step(str(path), size)
            if named:
                yield from referenced_fragments(
                    path, named, ctx, rules, source=NAME, kind=SourceKind.DOTFILE
                )
        pacer.finish()

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return locate_by_origin(hits)


def _read(path: Path, rules: WalkRules, origin: Origin, *, raw: bool) -> Iterator[Fragment]:
    """A dotfile's fragments: raw formats whole (binary databases), a format hiding text as
    that text (DBeaver's encrypted credentials), others as text."""
    if origin.file_format in SEALED:
        text = unsealed(origin.file_format, read_whole(path, rules, follow=True))
        if text:  # (one that does not decrypt holds nothing readable: passed over)
            yield Fragment(text, origin)
    elif raw:
        yield Fragment(read_whole(path, rules, follow=True), origin)
    else:
        yield from file_fragments(path, rules, origin, follow=True)
