"""Build the sources for a scan, in the order that lets earlier ones claim files."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from desktop_audit.models import SourceGroup
from desktop_audit.scan.sources.base import Source
from desktop_audit.scan.sources.browser import BrowserSource
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.history import HistorySource
from desktop_audit.scan.sources.keychain import KeychainSource

ORDER = (
    SourceGroup.DOTFILES,
    SourceGroup.HISTORY,
    SourceGroup.KEYCHAIN,
    SourceGroup.GIT,
    SourceGroup.FILES,
)


def build_sources(
    groups: Collection[SourceGroup], home: Path, roots: Sequence[Path]
) -> list[Source]:
    """Sources for the chosen groups in claim order (no roots: the home is the root).

    The files group holds the browser source too (browser profiles are files of the home).
    """
    scan_roots = tuple(roots) or (home,)
    factories: dict[SourceGroup, Callable[[], list[Source]]] = {
        SourceGroup.DOTFILES: lambda: [DotfilesSource(home)],
        SourceGroup.HISTORY: lambda: [HistorySource(home)],
        SourceGroup.KEYCHAIN: lambda: [KeychainSource()],
        SourceGroup.GIT: lambda: [GitSource(scan_roots)],
        SourceGroup.FILES: lambda: [BrowserSource(home), FilesSource(scan_roots)],
    }
    return [source for group in ORDER if group in groups for source in factories[group]()]
