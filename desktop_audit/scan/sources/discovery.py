"""Find git repositories under the roots: work trees, bare repositories, linked worktrees,
submodules (``.git/modules``) and nested repositories; each object store once."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.reading import read_small
from desktop_audit.scan.sources.walk import EntryKind, ErrorSink, walk

_GITFILE_PREFIX = b"gitdir:"


@dataclass
class Repository:
    """One object store (the common git dir) and the work trees found for it."""

    git_dir: Path
    path: Path  # the main work tree, else the bare / module directory
    bare: bool
    work_trees: list[Path] = field(default_factory=list)
    # each work tree's own git dir (a linked worktree has its own index and HEAD)
    work_tree_git_dirs: dict[Path, Path] = field(default_factory=dict)


def looks_like_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def read_gitfile(dot_git: Path) -> Path:
    """The git dir a ``.git`` file points to (relative to the file's directory); ``ValueError``
    for anything else (a FIFO named ``.git`` is refused, never waited on)."""
    content = read_small(dot_git, 4096, follow=True).strip()
    if not content.startswith(_GITFILE_PREFIX):
        raise ValueError("not a gitfile")
    target = content[len(_GITFILE_PREFIX) :].strip().decode("utf-8", "surrogateescape")
    return Path(os.path.normpath(dot_git.parent / target))


def common_dir(git_dir: Path) -> Path:
    """A linked worktree's git dir names its common dir in ``commondir``."""
    marker = git_dir / "commondir"
    if marker.is_file():
        try:
            raw = read_small(marker, 4096)
        except (OSError, ValueError):  # a symbolic link, a FIFO...: no common dir
            return git_dir
        target = raw.strip().decode("utf-8", "surrogateescape")
        return Path(os.path.normpath(git_dir / target))
    return git_dir


class Discovery:
    """Collects repositories from walk entries, deduplicated by the common dir's inode."""

    def __init__(self, on_error: ErrorSink) -> None:
        self.on_error = on_error
        self.repos: dict[tuple[int, int], Repository] = {}

    def _key(self, git_dir: Path) -> tuple[int, int] | None:
        try:
            st = git_dir.stat()
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def add(self, git_dir: Path, work_tree: Path | None) -> None:
        common = common_dir(git_dir)
        key = self._key(common)
        if key is None or not looks_like_git_dir(common):
            where = work_tree if work_tree is not None else git_dir
            self.on_error(where, "not a usable git repository (no HEAD or objects), skipped")
            return
        repo = self.repos.get(key)
        if repo is None:
            repo = Repository(git_dir=common, path=self._display(common, work_tree), bare=True)
            self.repos[key] = repo
            self._add_modules(common)
        if work_tree is not None and work_tree not in repo.work_trees:
            repo.work_trees.append(work_tree)
            repo.work_tree_git_dirs[work_tree] = git_dir
            repo.bare = False
            if common == git_dir and common.name != ".git":
                repo.path = work_tree  # a submodule's own work tree names it best

    @staticmethod
    def _display(common: Path, work_tree: Path | None) -> Path:
        if common.name == ".git":
            return common.parent
        if work_tree is not None and common_dir(common) == common and not _is_linked(work_tree):
            return work_tree
        return common

    def _add_modules(self, common: Path) -> None:
        modules = common / "modules"
        if not modules.is_dir():
            return
        for directory, subdirs, _files in os.walk(modules, followlinks=False):
            here = Path(directory)
            if looks_like_git_dir(here):
                subdirs[:] = [name for name in subdirs if name == "modules"]
                self.add(here, None)

    def add_entry(self, path: Path, kind: EntryKind) -> None:
        if kind is EntryKind.BARE_REPO:
            self.add(path, None)
            return
        if path.is_dir():
            self.add(path, path.parent)
            return
        try:
            target = read_gitfile(path)
        except (OSError, ValueError):
            self.on_error(path, "unreadable .git file, skipped")
            return
        self.add(target, path.parent)


def _is_linked(work_tree: Path) -> bool:
    return (work_tree / ".git").is_file()


def discover(
    roots: Iterable[Path], home: Path, rules: WalkRules, cancel: CancelToken, on_error: ErrorSink
) -> Iterator[Repository]:
    """Every repository under the roots, in discovery order."""
    found = Discovery(on_error)
    for entry in walk(roots, home, rules, cancel, on_error):
        if entry.kind is not EntryKind.FILE:
            found.add_entry(entry.path, entry.kind)
    yield from found.repos.values()
