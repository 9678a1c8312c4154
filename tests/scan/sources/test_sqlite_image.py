"""Other programs' SQLite databases read as images in memory: their write-ahead log applied,
nothing created or changed beside them, their locks no obstacle."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop_audit.scan.sources.sqlite_image import (
    ImageTooLargeError,
    apply_log,
    open_image,
    table_texts,
)


def _listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def live(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A WAL database still open in its writer: most rows are only in the log."""
    db = tmp_path / "history.db"
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x TEXT)")
    writer.executemany(
        "INSERT INTO t VALUES (?)", [(f"row {i} " + "x" * 200,) for i in range(3000)]
    )
    writer.commit()
    writer.execute("INSERT INTO t VALUES ('latest')")
    writer.commit()
    yield db, writer
    writer.close()


def test_the_log_is_applied_in_memory_and_nothing_is_touched(live) -> None:  # type: ignore[no-untyped-def]
    db, _writer = live
    before = _listing(db.parent)
    assert db.stat().st_size < 8192 and (db.parent / "history.db-wal").stat().st_size > 500_000
    connection = open_image(db)
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (3001,)
    assert connection.execute("SELECT x FROM t ORDER BY rowid DESC LIMIT 1").fetchone() == (
        "latest",
    )
    with pytest.raises(sqlite3.Error):
        connection.execute("INSERT INTO t VALUES ('no')")
    connection.close()
    assert _listing(db.parent) == before


def test_an_uncommitted_or_torn_tail_of_the_log_is_left_out(live) -> None:  # type: ignore[no-untyped-def]
    db, writer = live
    log = db.parent / "history.db-wal"
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES ('not committed')")
    writer.execute("PRAGMA cache_size=1")  # push the open transaction's pages to the log
    writer.executemany("INSERT INTO t VALUES (?)", [("y" * 500,) for _ in range(200)])
    connection = open_image(db)
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (3001,)
    connection.close()
    writer.rollback()
    data = bytearray(log.read_bytes())
    data[-100] ^= 0xFF  # a torn last frame: its checksum fails
    log.write_bytes(bytes(data))
    connection = open_image(db)
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (3001,)
    connection.close()


def test_a_locked_database_is_read_all_the_same(tmp_path: Path) -> None:
    db = tmp_path / "places.sqlite"
    holder = sqlite3.connect(db)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # as a running browser holds it
    holder.execute("CREATE TABLE moz_places (url TEXT)")
    holder.execute("INSERT INTO moz_places VALUES ('https://jira.client.example/browse/X-1')")
    holder.commit()
    try:
        with pytest.raises(sqlite3.OperationalError):
            sqlite3.connect(db, timeout=0).execute("SELECT * FROM moz_places").fetchall()
        connection = open_image(db)
        assert connection.execute("SELECT url FROM moz_places").fetchall() == [
            ("https://jira.client.example/browse/X-1",)
        ]
        connection.close()
    finally:
        holder.close()


def test_not_a_database_and_too_large(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        open_image(junk)
    db = tmp_path / "big.db"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    with pytest.raises(ImageTooLargeError):
        open_image(db, max_bytes=100)


def test_text_that_is_not_utf8_does_not_hide_a_table(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.execute("INSERT INTO t VALUES ('token line')")
    connection.execute("INSERT INTO t VALUES (CAST(x'ff41' AS TEXT))")
    connection.commit()
    connection.close()
    image = open_image(db)
    assert [row[0] for row in image.execute("SELECT x FROM t")] == ["token line", "\udcffA"]
    image.close()


def test_a_log_claiming_a_huge_database_is_refused(live) -> None:  # type: ignore[no-untyped-def]
    db, _writer = live
    log = (db.parent / "history.db-wal").read_bytes()
    image = bytearray(db.read_bytes())
    with pytest.raises(ImageTooLargeError):
        apply_log(image, log, max_bytes=len(image))  # the log holds far more pages than that


def test_generated_columns_are_never_computed_and_work_has_a_deadline(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE t (note TEXT, kept TEXT AS (upper(note)) STORED)")
    rows = [(f"row {i}",) for i in range(50_000)]
    connection.executemany("INSERT INTO t (note) VALUES (?)", rows)
    # added afterwards, as a crafted file has it: 5 MB computed for every row read
    connection.execute("ALTER TABLE t ADD COLUMN big TEXT AS (printf('%.*c', 5000000, 'x'))")
    connection.commit()
    connection.close()
    image = open_image(db)
    tables = dict(table_texts(image, 1 << 30))
    lines = tables["t"].split(b"\n")
    assert len(lines) == 50_000 and lines[7] == b"row 7\tROW 7"  # no 5 MB column
    partial = dict(table_texts(image, 1 << 30, deadline=0.0))  # stopped at once
    assert len(partial.get("t", b"").split(b"\n")) < 50_000
    stopped = dict(table_texts(image, 1 << 30, stop=lambda: True))
    assert len(stopped.get("t", b"").split(b"\n")) < 50_000
    image.close()
