"""Incremental rescans: what earlier scans with the same detection settings found in each
*unit* (a file version known by its stat stamp, a git object known by its id).

A unit seen before is not read again: a clean one is passed over, one with hits hands back
its remembered hits (no raw secret in them: redacted previews, hashes and encrypted context).
The key of the cache is the *detection digest* (rules, profile, allowlist, tool version):
any change there makes every unit unknown again. Units are stored under a 16-byte BLAKE2b
digest of their name, so the table holds no paths.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from desktop_audit.models import FindingKind, Hit, Origin, Severity, SourceKind

# Bump when what a unit's hits are changes without the rules changing (matcher semantics).
REUSE_FORMAT = "4"  # 4: example-grade matches yield to full-grade ones, anonymous_login asks
# the nearest user; 3: example-grade values reported (were dropped); 2: UTF-16 and container
# git blobs, LevelDB files are read (were binary)
# A file modified this recently may still be changing within its timestamp's granularity
# ("racily clean"): it is scanned, not remembered.
RACY_NS = 2_000_000_000
FLUSH_EVERY = 50_000
# Stores fresh units: (detection digest, [(key, encoded hits or None)]).
Flush = Callable[[str, list[tuple[bytes, bytes | None]]], None]


def detection_digest(*parts: str) -> str:
    """One digest over everything that decides a unit's hits."""
    digest = hashlib.sha256(REUSE_FORMAT.encode())
    for part in parts:
        digest.update(b"\x00" + part.encode())
    return digest.hexdigest()


def unit_key(unit: str) -> bytes:
    """The stored name of a unit."""
    return hashlib.blake2b(unit.encode("utf-8", "surrogateescape"), digest_size=16).digest()


def file_unit(path: Path, st: os.stat_result) -> str:
    """A file version: path and stat stamp (size, times, inode, device)."""
    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    return "\x00".join(["file", str(path), *map(str, stamp)])


def repository_unit(kind: str, git_dir: Path, state: str) -> str:
    """Facts about a repository in one state (its refs, reflogs and objects)."""
    return f"repo\x00{kind}\x00{git_dir}\x00{state}"


_OBJECT_PREFIX = "git\x00"


def object_unit(sha: str) -> str:
    """A git object: its id names its content in every repository."""
    return f"{_OBJECT_PREFIX}{sha}"


_ORIGIN_FIELDS = tuple(f.name for f in dataclasses.fields(Origin))


def _origin_json(origin: Origin) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in _ORIGIN_FIELDS:
        value = getattr(origin, name)
        if value not in (None, False, 0):
            data[name] = value
    data["source"] = str(origin.source)
    if origin.path is not None:
        data["path"] = str(origin.path)
    return data


@functools.lru_cache(maxsize=4096)
def _path(text: str) -> Path:
    """One ``Path`` per text: remembered hits of a repository all name its directory."""
    return Path(text)


_SOURCES = {str(kind): kind for kind in SourceKind}
_KINDS = {str(kind): kind for kind in FindingKind}
_SEVERITIES = {str(severity): severity for severity in Severity}


def _origin_from(data: dict[str, Any]) -> Origin:
    values = dict(data)
    values["source"] = _SOURCES[values["source"]]
    if "path" in values:
        values["path"] = _path(values["path"])
    return Origin(**values)


def encode_hits(hits: Sequence[Hit]) -> bytes:
    """Hits as compact JSON (context stays ciphertext, base64): the same bytes as dumping
    :func:`hit_rows`, one row at a time (see :class:`RowMemo`)."""
    return b"[" + b",".join(_row_json(row) for row in hit_rows(hits)) + b"]"


def decode_hits(payload: bytes) -> list[Hit]:
    """The inverse of :func:`encode_hits`."""
    return hits_from_rows(json.loads(payload))


_row_json_text = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


def _row_json(row: dict[str, Any]) -> bytes:
    return _row_json_text(row).encode()


def hit_rows(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Hits as JSON-ready rows (no raw secret: redacted previews, hashes, ciphertext)."""
    origins: dict[int, dict[str, Any]] = {}  # a unit's hits share their fragment's origin
    rows = []
    for h in hits:
        origin = origins.get(id(h.origin))
        if origin is None:
            origin = origins[id(h.origin)] = _origin_json(h.origin)
        rows.append(
            {
                "finding_id": h.finding_id,
                "rule_id": h.rule_id,
                "provider": h.provider,
                "kind": str(h.kind),
                "severity": str(h.severity),
                "redacted": h.redacted,
                "match_hash": h.match_hash,
                "guide": h.guide,
                "origin": origin,
                "line": h.line,
                "context": base64.b64encode(h.context).decode("ascii"),
                "title": h.title,
            }
        )
    return rows


class RowMemo:
    """Each hit's encoded row, kept from when its unit was remembered until the repository's
    snapshot stores the same hits again (up to ``limit`` hits; others are encoded again)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._rows: dict[int, tuple[Hit, bytes]] = {}  # id -> (the hit, kept alive; its row)

    def encode(self, hits: Sequence[Hit]) -> bytes:
        """:func:`encode_hits` of ``hits``, from the rows already encoded where possible."""
        rows = self._rows
        known = [rows.get(id(h)) for h in hits]
        missing = [h for h, row in zip(hits, known, strict=True) if row is None or row[0] is not h]
        fresh = iter([_row_json(row) for row in hit_rows(missing)])
        parts: list[bytes] = []
        for h, row in zip(hits, known, strict=True):
            if row is not None and row[0] is h:
                parts.append(row[1])
                continue
            encoded = next(fresh)
            parts.append(encoded)
            if len(rows) < self.limit:
                rows[id(h)] = (h, encoded)
        return b"[" + b",".join(parts) + b"]"

    def clear(self) -> None:
        self._rows.clear()


def hits_from_rows(rows: Sequence[dict[str, Any]]) -> list[Hit]:
    """The inverse of :func:`hit_rows`."""
    return [
        Hit(
            finding_id=row["finding_id"],
            rule_id=row["rule_id"],
            provider=row["provider"],
            kind=_KINDS[row["kind"]],
            severity=_SEVERITIES[row["severity"]],
            redacted=row["redacted"],
            match_hash=row["match_hash"],
            guide=row["guide"],
            origin=_origin_from(row["origin"]),
            line=row["line"],
            context=base64.b64decode(row["context"]),
            title=row["title"],
        )
        for row in rows
    ]


# Units asked of the store one at a time before all are read at once (a rescan of
# unchanged repositories asks about a few files at most; a sweep asks about thousands).
POINT_LOOKUPS = 64


class StoredUnits(Protocol):
    """The units a store remembers for one digest."""

    def count(self) -> int:
        """How many there are."""
        ...

    def one(self, key: bytes) -> tuple[bytes | None] | None:
        """One unit's row: its stored value (None for a clean one); None: unknown."""
        ...

    def everything(self) -> tuple[list[bytes], dict[bytes, bytes]]:
        """Keys of the clean units, and the others' values."""
        ...


class ReuseCache:
    """The units known for one detection digest, and the ones this scan adds.

    ``clean`` holds keys of units without hits; ``with_hits`` maps keys to encoded hits.
    Used by one scan thread; the store loads and saves it.
    """

    def __init__(
        self,
        digest: str,
        clean: Iterable[bytes] = (),
        with_hits: dict[bytes, bytes] | None = None,
        started_ns: int | None = None,
        flush: Flush | None = None,
        stored: StoredUnits | None = None,
    ) -> None:
        self.digest = digest
        self._clean = set(clean)
        self._with_hits = dict(with_hits or {})
        self._fresh: list[tuple[bytes, bytes | None]] = []
        self._flush = flush
        self._stored = stored  # read in full when many units are asked about
        self._count = stored.count if stored is not None else None
        self._point_lookups = 0
        self.started_ns = started_ns if started_ns is not None else time.time_ns()
        self.reused = 0
        self.remembered = 0
        self.rows = RowMemo()  # hits encoded once for their unit and their repository

    def __len__(self) -> int:
        if self._count is not None:  # the store's count, loaded or not (with this scan's)
            return self._count()
        return len(self._clean) + len(self._with_hits)

    def load(self) -> None:
        """Take in every stored unit (units kept by this scan meanwhile stay as kept). Call
        it from the thread that owns the store, before :meth:`state` is asked elsewhere."""
        if self._stored is None:
            return
        clean, with_hits = self._stored.everything()
        self._stored = None
        self._clean.update(key for key in clean if key not in self._with_hits)
        with_hits.update(self._with_hits)
        self._with_hits = with_hits

    @property
    def knows_nothing(self) -> bool:
        """Loaded, and no unit known (a full scan): every :meth:`state` is None until this
        scan's units are loaded by another one, so a source need not ask object by object."""
        return self._stored is None and not self._clean and not self._with_hits

    def lookup(self, unit: str) -> list[Hit] | None:
        """None: unknown, read it; ``[]``: clean; else the hits remembered for it. The first
        few are asked of the store one by one (a rescan may need no more), then all load."""
        key = unit_key(unit)
        payload = self._with_hits.get(key)
        if payload is None and self._stored is not None and self._point_lookups < POINT_LOOKUPS:
            self._point_lookups += 1
            row = self._stored.one(key)
            if row is None:
                return None
            payload = row[0]
        elif payload is None:
            self.load()
            payload = self._with_hits.get(key)
            if payload is None and key not in self._clean:
                return None
        if payload is None:  # known clean
            self.reused += 1
            return []
        try:
            hits = decode_hits(payload)
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable entry: read the unit again
        self.reused += 1
        return hits

    def state(self, unit: str) -> bool | None:
        """None: unknown; False: known clean; True: known with hits (no counting, so it is
        safe to ask from another thread while this one remembers; :meth:`load` first)."""
        key = unit_key(unit)
        if key in self._clean:
            return False
        return True if key in self._with_hits else None

    def remember(self, unit: str, hits: Sequence[Hit]) -> None:
        """Keep what a fully read unit gave (an empty list for a clean one)."""
        if not hits:
            self._add(unit_key(unit), None)
        elif unit.startswith(_OBJECT_PREFIX):  # a repository's snapshot stores them again
            self._add(unit_key(unit), self.rows.encode(hits))
        else:  # a file's hits are stored once: no row kept for later
            self._add(unit_key(unit), encode_hits(hits))
        self.remembered += 1

    def payload(self, unit: str) -> bytes | None:
        """A stored value other than hits (a repository's attribution), or None (asked of the
        store alone while nothing else was: a rescan of unchanged repositories reads only
        their slots)."""
        key = unit_key(unit)
        found = self._with_hits.get(key)
        if found is None and self._stored is not None:
            row = self._stored.one(key)
            return None if row is None else row[0]
        return found

    def keep(self, unit: str, payload: bytes) -> None:
        """Store ``payload`` under ``unit`` for this scan and the next ones."""
        key = unit_key(unit)
        self._with_hits[key] = payload
        self._add(key, payload)

    def _add(self, key: bytes, payload: bytes | None) -> None:
        """Queue a fresh unit; they go to ``flush`` in batches, so memory stays bounded."""
        self._fresh.append((key, payload))
        if self._flush is not None and len(self._fresh) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Hand the fresh units to the store (kept in memory when there is no store)."""
        if self._flush is not None and self._fresh:
            self._flush(self.digest, self._fresh)
            self._fresh = []

    def recent(self, st: os.stat_result) -> bool:
        """Modified too close to the scan's start to be remembered safely."""
        return max(st.st_mtime_ns, st.st_ctime_ns) > self.started_ns - RACY_NS


def rebased(hits: Sequence[Hit], path: Path | None) -> tuple[Hit, ...]:
    """Remembered hits placed at ``path`` (a git object found again in another clone)."""
    return tuple(
        h
        if h.origin.path == path
        else dataclasses.replace(h, origin=dataclasses.replace(h.origin, path=path))
        for h in hits
    )
