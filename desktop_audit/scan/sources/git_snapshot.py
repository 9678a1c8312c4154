"""A repository found as an earlier scan left it: when its refs, reflogs and object store are
unchanged (same detection settings), that scan's hits and counts stand for it, and not one
object is listed again. A rescan of an unchanged repository then costs two small git
commands and 258 ``stat`` calls, whatever the size of its history.

The object store's *stamp* is the modification and change times of ``objects/``, of
``objects/pack/`` and of the 256 loose-object directories, plus each pack's name, size and
time: git only ever adds or removes files there (objects are immutable), and either changes
the directory's times. A store whose directories changed within the racy window, or whose
objects partly live elsewhere (alternates), has no stamp: it is listed as usual.

One slot per repository holds its latest snapshot (stored under a name without the state,
so a changed repository replaces its old snapshot instead of adding one).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.models import Hit
from desktop_audit.scan import reuse
from desktop_audit.scan.reuse import ReuseCache, hit_rows, hits_from_rows, repository_unit

SNAPSHOT_FORMAT = "1"
# Repositories with more hits than this are listed again on each rescan (the snapshot would
# be a large row read at every start).
MAX_SNAPSHOT_HITS = 100_000
_FANOUT = tuple(f"{i:02x}" for i in range(256))


def store_stamp(git_dir: Path, now_ns: int | None = None) -> str | None:
    """A digest of the object store's directory times and packs; None when it cannot be
    trusted to show every change (racily recent, alternates, unreadable)."""
    objects = git_dir / "objects"
    info = objects / "info"
    if (info / "alternates").exists() or (info / "http-alternates").exists():
        return None  # objects kept in another repository change without a trace here
    limit = (time.time_ns() if now_ns is None else now_ns) - reuse.RACY_NS
    parts: list[str] = []
    try:
        for directory in (objects, objects / "pack", *(objects / name for name in _FANOUT)):
            try:
                st = directory.stat()
            except FileNotFoundError:
                parts.append("-")
                continue
            if max(st.st_mtime_ns, st.st_ctime_ns) > limit:
                return None  # changed so recently that a further change may not show
            parts.append(f"{st.st_ino}:{st.st_mtime_ns}:{st.st_ctime_ns}")
        with os.scandir(objects / "pack") as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                st = entry.stat(follow_symlinks=False)
                parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    except FileNotFoundError:
        pass  # no pack directory: loose objects only
    except OSError:
        return None
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def snapshot_state(stamp: str, facts: bytes, *settings: object) -> str:
    """What a snapshot is valid for: the store's stamp, the refs and reflogs, the settings
    that decide which objects are read (size cap, binary sniff length)."""
    digest = hashlib.sha256(f"{SNAPSHOT_FORMAT}\x00{stamp}\x00{settings!r}\x00".encode())
    digest.update(facts)
    return digest.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """What one complete pass over a repository's objects found."""

    objects: int
    commits: int
    tags: int
    large: int
    missing: int
    blobs: int  # text and binary blobs within the size cap
    bytes: int
    missing_objects: int  # a partial clone's never-downloaded objects (-1: unknown)
    hits: tuple[Hit, ...]


def _slot(git_dir: Path) -> str:
    return repository_unit("snapshot", git_dir, "")


def recall(cache: ReuseCache, git_dir: Path, state: str) -> Snapshot | None:
    """The snapshot stored for ``git_dir`` in ``state``, or None."""
    payload = cache.payload(_slot(git_dir))
    if payload is None:
        return None
    head, _, body = payload.partition(b"\n")
    if head != state.encode("ascii"):
        return None
    try:
        data = json.loads(body)
        return Snapshot(
            **{k: int(data[k]) for k in _COUNTS},
            hits=tuple(hits_from_rows(data["hits"])),
        )
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: list the repository again


_COUNTS = ("objects", "commits", "tags", "large", "missing", "blobs", "bytes", "missing_objects")


def keep(cache: ReuseCache, git_dir: Path, state: str, snapshot: Snapshot) -> bool:
    """Store ``snapshot`` as the repository's latest (replacing an older one)."""
    if len(snapshot.hits) > MAX_SNAPSHOT_HITS:
        return False
    data: dict[str, object] = {k: getattr(snapshot, k) for k in _COUNTS}
    data["hits"] = hit_rows(snapshot.hits)
    body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    cache.keep(_slot(git_dir), state.encode("ascii") + b"\n" + body)
    return True
