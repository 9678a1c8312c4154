"""build_sources: the groups asked for, in claim order, each a Source."""

from __future__ import annotations

from pathlib import Path

from desktop_audit.models import SourceGroup
from desktop_audit.scan.sources.browser import BrowserSource
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.registry import build_sources


def test_all_groups_in_claim_order(tmp_path: Path) -> None:
    sources = build_sources(set(SourceGroup), tmp_path, [])
    assert [s.group for s in sources] == [
        SourceGroup.DOTFILES,
        SourceGroup.HISTORY,
        SourceGroup.KEYCHAIN,
        SourceGroup.GIT,
        SourceGroup.FILES,
        SourceGroup.FILES,
    ]


def test_subset_and_roots(tmp_path: Path) -> None:
    work = tmp_path / "work"
    sources = build_sources([SourceGroup.FILES, SourceGroup.GIT], tmp_path, [work])
    assert [type(s) for s in sources] == [GitSource, BrowserSource, FilesSource]
    assert all(s.roots == (work,) for s in sources if isinstance(s, GitSource | FilesSource))
    (dotfiles,) = build_sources([SourceGroup.DOTFILES], tmp_path, [work])
    assert isinstance(dotfiles, DotfilesSource) and dotfiles.home == tmp_path
    assert build_sources([], tmp_path, []) == []


def test_no_roots_means_the_home(tmp_path: Path) -> None:
    (browser, files) = build_sources([SourceGroup.FILES], tmp_path, [])
    assert isinstance(browser, BrowserSource) and browser.home == tmp_path
    assert isinstance(files, FilesSource) and files.roots == (tmp_path,)
