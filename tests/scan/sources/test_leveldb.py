"""LevelDB stores of desktop apps (Electron Local Storage, IndexedDB), written by the real
LevelDB (plyvel): saved tokens are found in the store's log and, after a compaction, in its
Snappy-compressed table, whatever the value's encoding and size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_audit.models import LocatedHit
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.leveldb_text import is_leveldb_file, leveldb_text
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run
from tests.scan.sources.test_git_provenance import token

plyvel = pytest.importorskip("plyvel")

FIRST, SECOND = token(400), token(401)
KEY = b"_https://app.example\x00\x01environment"  # Chromium Local Storage: origin, name


def _environment(*values: str) -> str:
    """A Postman-like environment: the same key names repeat, so Snappy copies them."""
    return json.dumps(
        {"name": "client prod", "values": [{"key": "gh", "value": v} for v in values]}
    )


def _store(home: Path, puts: list[tuple[bytes, bytes]], *, compact: bool) -> Path:
    folder = home / ".config" / "Postman" / "Local Storage" / "leveldb"
    folder.parent.mkdir(parents=True)
    db = plyvel.DB(str(folder), create_if_missing=True)
    for key, value in puts:
        db.put(key, value)
    for n in range(500):  # filler: a compaction writes a table of several blocks
        db.put(b"k%05d" % n, b"filler %d " % n * 10)
    if compact:
        db.compact_range()
    db.close()
    return folder


def _found(home: Path) -> tuple[list[LocatedHit], object]:
    ctx = make_ctx(home)
    return run(FilesSource([home]), ctx, with_profile=False), ctx


def _places(located: list[LocatedHit], folder: Path, value: str) -> set[str]:
    return {
        Path(h.location.path or "").relative_to(folder).as_posix()
        for h in located
        if h.hit.redacted.endswith(value[-4:])
    }


# Values as Chromium stores them: \x01 + Latin-1, or \x00 + UTF-16LE (any non-Latin-1 text).
SHAPES = {
    "two tokens, latin-1": b"\x01" + _environment(FIRST, SECOND).encode(),
    "utf-16": b"\x00"
    + (_environment(FIRST, SECOND)[:-2] + ', "note": "prod \u2013 eu"}]}').encode("utf-16-le"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("compact", [False, True], ids=["log", "table"])
def test_tokens_saved_by_a_desktop_app_are_found(tmp_path: Path, shape: str, compact: bool) -> None:
    home = tmp_path / "home"
    folder = _store(home, [(KEY, SHAPES[shape])], compact=compact)
    located, ctx = _found(home)
    suffix = ".ldb" if compact else ".log"
    for value in (FIRST, SECOND):
        places = _places(located, folder, value)
        assert places and all(p.endswith(f"{suffix}/text") for p in places), (value, places)
    assert ctx.stat("files").counters["leveldb_files"] >= 1  # type: ignore[attr-defined]
    assert ctx.errors == []  # type: ignore[attr-defined]


def test_a_value_across_log_blocks_is_joined_again(tmp_path: Path) -> None:
    """A record longer than a 32 KiB block is split with a 7-byte header in between: the
    token is placed right across the first block boundary."""
    home = tmp_path / "probe"
    folder = _store(
        home, [(KEY, b"\x01" + json.dumps({"n": "n" * 30_000, "v": FIRST}).encode())], compact=False
    )
    offset = next(folder.glob("*.log")).read_bytes().find(FIRST.encode())
    padding = 30_000 + (32 * 1024 - 20) - offset
    home = tmp_path / "home"
    value = b"\x01" + json.dumps({"n": "n" * padding, "v": FIRST, "m": "m" * 20_000}).encode()
    folder = _store(home, [(KEY, value)], compact=False)
    raw = next(folder.glob("*.log")).read_bytes()
    assert FIRST.encode() not in raw  # the block header really cuts the token
    assert FIRST.encode() in leveldb_text("000003.log", raw)
    located, _ctx = _found(home)
    assert _places(located, folder, FIRST)


def test_a_damaged_store_still_gives_its_raw_text() -> None:
    text = b"GITHUB_TOKEN=" + FIRST.encode()
    assert text in leveldb_text("000009.ldb", b"\x00\x01" + text + b"\x00" * 60)
    assert text in leveldb_text("000009.log", b"\xff" * 7 + text)


def test_only_tables_and_logs_beside_a_current_file_are_leveldb(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "000003.log").write_bytes(b"\x00x")
    assert not is_leveldb_file(store / "000003.log")  # no CURRENT: some other log
    (store / "CURRENT").write_text("MANIFEST-000002\n")
    assert is_leveldb_file(store / "000003.log")
    assert is_leveldb_file(store / "1000003.ldb")  # numbers past 999999 grow a digit
    assert not is_leveldb_file(store / "MANIFEST-000002")
    assert not is_leveldb_file(store / "app.log")


def _log_record(kind: int, payload: bytes) -> bytes:
    """One log fragment: checksum (not checked by the reader), length, type, payload."""
    return b"\0\0\0\0" + len(payload).to_bytes(2, "little") + bytes([kind]) + payload


def test_a_log_keeps_what_damage_and_unfinished_records_leave() -> None:
    first = f"GITHUB_TOKEN={FIRST}".encode()
    second = f"GITHUB_TOKEN={SECOND}".encode()
    unfinished = _log_record(2, first) + _log_record(2, second) + _log_record(4, b" end")
    text = leveldb_text("000003.log", unfinished)
    assert first in text and second in text
    zeroed = b"\0" * 4096 + _log_record(1, second)  # a zeroed page before an intact record
    assert second in leveldb_text("000003.log", zeroed)


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _table_block(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An uncompressed table block: entries, one restart point, the compression-type byte
    and a (not checked) CRC."""
    body = b"".join(_varint(0) + _varint(len(k)) + _varint(len(v)) + k + v for k, v in entries)
    return body + (0).to_bytes(4, "little") + (1).to_bytes(4, "little")


def test_a_table_index_naming_one_block_again_and_again_is_read_once() -> None:
    """A hostile index listing one block 100,000 times: read once, in bounded time."""
    data = _table_block([(b"k", f"GITHUB_TOKEN={FIRST}".encode())])
    handle = _varint(0) + _varint(len(data))
    index = _table_block([(b"k%06d" % n, handle) for n in range(100_000)])
    table = data + b"\0" * 5 + index + b"\0" * 5
    footer = _varint(0) + _varint(0) + _varint(len(data) + 5) + _varint(len(index))
    table += footer.ljust(40, b"\0") + bytes.fromhex("57fb808b247547db")
    text = leveldb_text("000005.ldb", table)
    assert text.count(FIRST.encode()) == 1


def test_a_damaged_index_handle_leaves_the_raw_text() -> None:
    good = _table_block([(b"a", f"GITHUB_TOKEN={FIRST}".encode())])
    other = _table_block([(b"b", f"GITHUB_TOKEN={SECOND}".encode())])
    data = good + b"\0" * 5 + other + b"\0" * 5
    handles = [
        (b"a", _varint(0) + _varint(len(good))),
        (b"b", _varint(1 << 30) + _varint(len(other))),  # points far outside the file
    ]
    index = _table_block(handles)
    table = data + index + b"\0" * 5
    footer = _varint(0) + _varint(0) + _varint(len(data)) + _varint(len(index))
    table += footer.ljust(40, b"\0") + bytes.fromhex("57fb808b247547db")
    text = leveldb_text("000005.ldb", table)
    assert FIRST.encode() in text and SECOND.encode() in text
