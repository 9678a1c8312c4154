"""How remembered hits are encoded (``scan/reuse.py``): the bytes must not change, since
stored units and snapshots written by earlier scans are read back by later ones."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from desktop_audit.models import Origin, SourceKind
from desktop_audit.scan.reuse import (
    ReuseCache,
    RowMemo,
    decode_hits,
    encode_hits,
    hit_rows,
    object_unit,
)
from tests.factories import make_hit


def _hits() -> list:  # type: ignore[type-arg]
    blob = Origin(SourceKind.GIT_HISTORY, path=Path("/r/repo"), blob="ab" * 20)
    other = Origin(SourceKind.FILE, path=Path("/home/u/.env"), line_base=3, fixed_line=True)
    hits = [dataclasses.replace(make_hit(n), origin=blob, context=bytes([n]) * 9) for n in range(3)]
    return [*hits, dataclasses.replace(make_hit(7), origin=other, line=None)]


def test_encoded_hits_are_the_dumped_rows_and_decode_back() -> None:
    hits = _hits()
    dumped = json.dumps(hit_rows(hits), separators=(",", ":"), sort_keys=True).encode()
    assert encode_hits(hits) == dumped
    assert encode_hits([]) == b"[]"
    assert decode_hits(encode_hits(hits)) == hits


def test_row_memo_reuses_rows_and_gives_the_same_bytes() -> None:
    hits = _hits()
    memo = RowMemo()
    assert memo.encode(hits[:2]) == encode_hits(hits[:2])
    assert memo.encode(hits) == encode_hits(hits)  # two remembered rows, two fresh ones
    equal_not_same = dataclasses.replace(hits[0], line=99)
    assert memo.encode([equal_not_same]) == encode_hits([equal_not_same])
    memo.clear()
    assert memo.encode(hits[::-1]) == encode_hits(hits[::-1])


def test_row_memo_keeps_at_most_its_limit() -> None:
    hits = _hits()
    memo = RowMemo(limit=2)
    assert memo.encode(hits) == encode_hits(hits)
    assert len(memo._rows) == 2
    assert memo.encode(hits) == encode_hits(hits)


def test_only_git_objects_keep_rows_for_their_snapshot() -> None:
    """A file's hits are stored once, so remembering them keeps no row; a git object's are
    stored again with its repository's snapshot, so theirs are kept (same bytes either way)."""
    hits = _hits()
    stored: list[tuple[bytes, bytes | None]] = []
    cache = ReuseCache("digest", flush=lambda _digest, units: stored.extend(units))
    cache.remember("file\x00/home/u/.env", hits[3:])
    assert len(cache.rows._rows) == 0
    cache.remember(object_unit("ab" * 20), hits[:3])
    assert len(cache.rows._rows) == 3
    cache.flush()
    assert [payload for _key, payload in stored] == [encode_hits(hits[3:]), encode_hits(hits[:3])]
