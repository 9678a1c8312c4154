"""Read-only tree walking with skip rules, loop protection and git-directory detection.

Symbolic links are never followed: a linked directory is not entered and a linked file is not
read (its target is read where it lives, when it lives inside a root). Directories are tracked
by ``(st_dev, st_ino)`` so bind mounts and overlapping roots are walked once.
"""

# ruff: noqa: PTH100, PTH113, PTH116, PTH118, PTH123 - str paths and os calls for walk speed
from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.catalogue import WalkRules

CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
_GIT_DIR_MARKERS = frozenset({"HEAD", "objects", "refs"})

ErrorSink = Callable[[Path, str], None]
# Told the counter name of each entry passed over: skipped_excluded_dir, skipped_cachedir,
# skipped_symlink, skipped_special (FIFOs, sockets, devices: decided by lstat, never opened).
SkipSink = Callable[[str], None]


def _ignore(_reason: str) -> None:
    return None


class EntryKind(Enum):
    FILE = "file"
    DOT_GIT = "dot-git"  # a ``.git`` directory or gitfile in a work tree
    BARE_REPO = "bare-repo"  # a directory that is itself a git directory


@dataclass(frozen=True, slots=True)
class WalkEntry:
    path: Path
    kind: EntryKind
    size: int = 0
    stat: os.stat_result | None = None  # files: the stat the walk took (reuse stamps)


def os_error_message(exc: OSError) -> str:
    """A one-line message for an OS error, without the path (the caller records the path)."""
    return (exc.strerror or type(exc).__name__).lower()


def _skip_paths(rules: WalkRules, home: Path, extra: Iterable[Path] = ()) -> frozenset[str]:
    paths = {os.path.abspath(p) for p in rules.skip_abs_paths}
    paths.update(os.path.abspath(home / rel) for rel in rules.skip_home_paths)
    paths.update(os.path.abspath(p) for p in extra)
    return frozenset(paths)


def excluded(path: str, rules: WalkRules, home: Path, extra: Iterable[Path] = ()) -> bool:
    """Is ``path`` (absolute, normalised) in or under a directory the walk never enters by path
    (``/proc``, skipped home trees, ``extra``: the scanner's own directories)?"""
    skip = _skip_paths(rules, home, extra)
    while True:
        if path in skip:
            return True
        parent = os.path.dirname(path)  # noqa: PTH120 - str paths, as the walk keeps them
        if parent == path:
            return False
        path = parent


def _has_cachedir_tag(directory: str) -> bool:
    try:
        with open(os.path.join(directory, "CACHEDIR.TAG"), "rb") as handle:
            return handle.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


def walk(
    roots: Iterable[Path],
    home: Path,
    rules: WalkRules,
    cancel: CancelToken,
    on_error: ErrorSink,
    on_skip: SkipSink = _ignore,
    skip: Iterable[Path] = (),
) -> Iterator[WalkEntry]:
    """Yield regular files, ``.git`` entries and bare repositories under ``roots``.

    Never enters ``.git`` directories, git directories, skipped (rules, ``skip``) or already
    visited directories.
    """
    skip_paths = _skip_paths(rules, home, skip)
    visited: set[tuple[int, int]] = set()
    for root in roots:
        top = os.path.abspath(root)
        try:
            st = os.stat(top)
        except OSError as exc:
            on_error(Path(top), os_error_message(exc))
            continue
        if not stat.S_ISDIR(st.st_mode):
            if stat.S_ISREG(st.st_mode):
                yield WalkEntry(Path(top), EntryKind.FILE, st.st_size, st)
            else:
                on_skip("skipped_special")
            continue
        stack = [top]
        while stack:
            if cancel.cancelled:
                return
            directory = stack.pop()
            yield from _walk_dir(directory, rules, skip_paths, visited, stack, on_error, on_skip)


def _walk_dir(
    directory: str,
    rules: WalkRules,
    skip_paths: frozenset[str],
    visited: set[tuple[int, int]],
    stack: list[str],
    on_error: ErrorSink,
    on_skip: SkipSink,
) -> Iterator[WalkEntry]:
    try:
        st = os.stat(directory, follow_symlinks=False)
        key = (st.st_dev, st.st_ino)
        if key in visited:
            return
        visited.add(key)
        with os.scandir(directory) as iterator:
            entries = sorted(iterator, key=lambda e: e.name)
    except OSError as exc:
        on_error(Path(directory), os_error_message(exc))
        return
    names = {entry.name for entry in entries}
    if names >= _GIT_DIR_MARKERS and os.path.isfile(os.path.join(directory, "HEAD")):
        yield WalkEntry(Path(directory), EntryKind.BARE_REPO)
        return
    if rules.honour_cachedir_tag and "CACHEDIR.TAG" in names and _has_cachedir_tag(directory):
        on_skip("skipped_cachedir")
        return
    subdirs: list[str] = []
    for entry in entries:
        try:
            if entry.is_symlink():
                on_skip("skipped_symlink")
            elif entry.name == ".git":
                yield WalkEntry(Path(entry.path), EntryKind.DOT_GIT)
            elif entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry.name, entry.path, rules, skip_paths):
                    subdirs.append(entry.path)
                else:
                    on_skip("skipped_excluded_dir")
            elif entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                yield WalkEntry(Path(entry.path), EntryKind.FILE, info.st_size, info)
            else:
                on_skip("skipped_special")
        except OSError as exc:
            on_error(Path(entry.path), os_error_message(exc))
    stack.extend(reversed(subdirs))


def _skip_dir(name: str, path: str, rules: WalkRules, skip_paths: frozenset[str]) -> bool:
    if name in rules.skip_dir_names or path in skip_paths:
        return True
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in rules.skip_dir_globs)


def is_skipped_rel_path(rel: str, rules: WalkRules) -> bool:
    """True when a relative path (``a/b/c``) goes through a skipped directory name."""
    parts = rel.split("/")[:-1]
    return any(_skip_dir(part, "", rules, frozenset()) for part in parts)


def within(path: Path, roots: Iterable[Path]) -> bool:
    """True when the real location of ``path`` is inside the real location of one root."""
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False
