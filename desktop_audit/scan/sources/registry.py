"""Build the sources for a scan, in the order that lets earlier ones claim files."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from desktop_audit.models import SourceGroup
from desktop_audit.scan.sources.base import Source

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
        SourceGroup.DOTFILES: lambda: [_dotfiles(home)],
        SourceGroup.HISTORY: lambda: [_history(home)],
        SourceGroup.KEYCHAIN: lambda: [_keychain()],
        SourceGroup.GIT: lambda: [_git(scan_roots)],
        SourceGroup.FILES: lambda: [_browser(home), _files(scan_roots)],
    }
    return [source for group in ORDER if group in groups for source in factories[group]()]


# Each source is imported when its group is in scope (a git-only rescan loads none of the
# file, archive, document or keychain readers).
def _dotfiles(home: Path) -> Source:
    from desktop_audit.scan.sources.dotfiles import DotfilesSource  # noqa: PLC0415

    return DotfilesSource(home)


def _history(home: Path) -> Source:
    from desktop_audit.scan.sources.history import HistorySource  # noqa: PLC0415

    return HistorySource(home)


def _keychain() -> Source:
    from desktop_audit.scan.sources.keychain import KeychainSource  # noqa: PLC0415

    return KeychainSource()


def _git(roots: tuple[Path, ...]) -> Source:
    from desktop_audit.scan.sources.git import GitSource  # noqa: PLC0415

    return GitSource(roots)


def _browser(home: Path) -> Source:
    from desktop_audit.scan.sources.browser import BrowserSource  # noqa: PLC0415

    return BrowserSource(home)


def _files(roots: tuple[Path, ...]) -> Source:
    from desktop_audit.scan.sources.files import FilesSource  # noqa: PLC0415

    return FilesSource(roots)
