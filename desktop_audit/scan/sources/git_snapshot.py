"""A repository found as an earlier scan left it: when its refs, reflogs and object store are
unchanged (same detection settings), that scan's hits and counts stand for it, and not one
object is listed again. A rescan of an unchanged repository then costs two small git
commands and a listing of its object directories, whatever the size of its history.

The object store's *stamp* is the names of its loose objects and its packs' names and sizes:
objects are immutable and git only ever adds files there (written aside, then renamed into
place) or removes them, so any change to what the store holds changes the names. Names, not
times: a file system with coarse or lazy directory times cannot hide a new object. A store
whose objects partly live elsewhere (alternates) has no stamp: it is listed as usual.

One slot per repository holds its latest snapshot (stored under a name without the state,
so a changed repository replaces its old snapshot instead of adding one).

A snapshot also keeps a digest of the identities of the locations its pass placed the hits
at, and what their severity depended on (home, roots, repositories around it). A rescan
with the same placement asks the store to mark the repository's stored locations seen in one
statement, which it does only when the present ones are exactly those (nothing changed them
since). Otherwise the hits are decoded, placed and written as before, and the snapshot is
kept again for what this pass placed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.models import Hit
from desktop_audit.scan.reuse import ReuseCache, hits_from_rows, repository_unit

SNAPSHOT_FORMAT = "3"
# Repositories with more hits than this are listed again on each rescan (the snapshot would
# be a large row read at every start).
MAX_SNAPSHOT_HITS = 100_000
# Loose objects live in objects/00..ff, packs in objects/pack.
_STORE_DIRS = frozenset([*(f"{i:02x}" for i in range(256)), "pack"])


def store_stamp(git_dir: Path) -> str | None:
    """A digest of the object store's file names (and pack sizes); None when it cannot show
    every change (objects kept in another repository, an unreadable store)."""
    objects = git_dir / "objects"
    info = objects / "info"
    if (info / "alternates").exists() or (info / "http-alternates").exists():
        return None  # objects kept in another repository change without a trace here
    digest = hashlib.sha256()
    try:
        with os.scandir(objects) as top:
            names = sorted(e.name for e in top if e.name in _STORE_DIRS)
        for name in names:
            with os.scandir(objects / name) as entries:
                if name == "pack":
                    listed = sorted(
                        f"{e.name}:{e.stat(follow_symlinks=False).st_size}" for e in entries
                    )
                else:
                    listed = sorted(e.name for e in entries)
            digest.update(f"{name}/{len(listed)}\n".encode())
            digest.update("\n".join(listed).encode("utf-8", "surrogateescape"))
    except OSError:
        return None
    return digest.hexdigest()


def snapshot_state(stamp: str, facts: bytes, *settings: object) -> str:
    """What a snapshot is valid for: the store's stamp, the refs and reflogs, the settings
    that decide which objects are read (size cap, binary sniff length)."""
    digest = hashlib.sha256(f"{SNAPSHOT_FORMAT}\x00{stamp}\x00{settings!r}\x00".encode())
    digest.update(facts)
    return digest.hexdigest()


_Json = bytes  # (inside Snapshot, ``bytes`` names its byte count)


@dataclass(frozen=True)
class Snapshot:
    """What one complete pass over a repository's objects found, and where it placed it:
    ``located``, the digest of the identities of its locations ("": none), stored for the
    placement ``scope`` (see :func:`placement_scope`)."""

    objects: int
    commits: int
    tags: int
    large: int
    missing: int
    blobs: int  # text and binary blobs within the size cap
    bytes: int
    missing_objects: int  # a partial clone's never-downloaded objects (-1: unknown)
    located: str = ""
    scope: str = ""
    encoded_hits: _Json = b"[]"  # JSON rows (decoded only when the hits are replayed)

    def hits(self) -> tuple[Hit, ...]:
        """The hits found in the repository's objects."""
        return tuple(hits_from_rows(json.loads(self.encoded_hits)))


def placement_scope(home: Path, roots: tuple[Path, ...], repositories: Sequence[str]) -> str:
    """What the severity of a repository's locations depends on besides the locations: the
    home and roots, and which of the repository's directory and its parents up to them are
    repositories themselves (``repositories``)."""
    text = "\x00".join([str(home), *sorted(str(r) for r in roots), "", *repositories])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _slot(git_dir: Path) -> str:
    return repository_unit("snapshot", git_dir, "")


_COUNTS = ("objects", "commits", "tags", "large", "missing", "blobs", "bytes", "missing_objects")


def recall(cache: ReuseCache, git_dir: Path, state: str) -> Snapshot | None:
    """The snapshot stored for ``git_dir`` in ``state``, or None. Its hits stay encoded."""
    payload = cache.payload(_slot(git_dir))
    if payload is None:
        return None
    head, _, rest = payload.partition(b"\n")
    if head != state.encode("ascii"):
        return None
    header, _, encoded_hits = rest.partition(b"\n")
    try:
        data = json.loads(header)
        return Snapshot(
            **{k: int(data[k]) for k in _COUNTS},
            located=str(data["located"]),
            scope=str(data["scope"]),
            encoded_hits=encoded_hits,
        )
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: list the repository again


def keep(
    cache: ReuseCache, git_dir: Path, state: str, snapshot: Snapshot, hits: Sequence[Hit]
) -> bool:
    """Store ``snapshot`` with ``hits`` as the repository's latest (replacing an older one)."""
    if len(hits) > MAX_SNAPSHOT_HITS:
        return False
    data: dict[str, object] = {k: getattr(snapshot, k) for k in _COUNTS}
    data["located"] = snapshot.located
    data["scope"] = snapshot.scope
    header = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    body = cache.rows.encode(hits)  # rows encoded when their objects were remembered
    cache.keep(_slot(git_dir), b"\n".join([state.encode("ascii"), header, body]))
    return True
