"""LevelDB stores of desktop apps (Electron Local Storage, IndexedDB), written by the real
LevelDB (plyvel): a saved token is found in the store's log and, after a compaction, in its
Snappy-compressed table."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.leveldb_text import is_leveldb_file
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run
from tests.scan.sources.test_git_provenance import token

plyvel = pytest.importorskip("plyvel")

TOKEN = token(400)


def _store(home: Path, *, compact: bool) -> Path:
    """A Local Storage store as Chromium writes one: key ``_<origin>\\0\\1<name>``, value a
    Latin-1 string after a ``\\1`` marker; filler so a compaction writes a table."""
    folder = home / ".config" / "Postman" / "Local Storage" / "leveldb"
    folder.parent.mkdir(parents=True)
    db = plyvel.DB(str(folder), create_if_missing=True)
    value = '{"name":"client prod","values":[{"key":"gh","value":"' + TOKEN + '"}]}'
    db.put(b"_https://app.example\x00\x01environment", b"\x01" + value.encode())
    for n in range(500):
        db.put(b"k%05d" % n, b"filler %d " % n * 10)
    if compact:
        db.compact_range()
    db.close()
    return folder


@pytest.mark.parametrize("compact", [False, True], ids=["log", "table"])
def test_a_token_saved_by_a_desktop_app_is_found(tmp_path: Path, compact: bool) -> None:
    folder = _store(tmp_path / "home", compact=compact)
    ctx = make_ctx(tmp_path / "home")
    located = run(FilesSource([tmp_path / "home"]), ctx, with_profile=False)
    places = {
        Path(h.location.path or "").relative_to(folder).as_posix()
        for h in located
        if h.hit.redacted.endswith(TOKEN[-4:])
    }
    suffix = ".ldb" if compact else ".log"
    assert places and all(p.endswith(f"{suffix}/text") for p in places), places
    assert ctx.stat("files").counters["leveldb_files"] >= 1
    assert ctx.errors == []


def test_only_tables_and_logs_beside_a_current_file_are_leveldb(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "000003.log").write_bytes(b"\x00x")
    assert not is_leveldb_file(store / "000003.log")  # no CURRENT: some other log
    (store / "CURRENT").write_text("MANIFEST-000002\n")
    assert is_leveldb_file(store / "000003.log")
    assert not is_leveldb_file(store / "MANIFEST-000002")
    assert not is_leveldb_file(store / "app.log")
