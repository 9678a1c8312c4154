"""Read another program's SQLite database (a shell history, a browser's places) without
touching it and without copying it to disk: the database file and its write-ahead log are
read as bytes, the log's committed frames are applied to the image in memory, and SQLite
opens the image with ``deserialize``. Nothing is created beside the database (no shared-
memory index, no journal), a browser's exclusive lock does not stop the read, and no copy of
the content (which may hold credentials) is ever written anywhere.

The log is applied as SQLite itself would after a crash: frames whose salts match the log
header and whose running checksum is right, up to the last frame that ends a transaction.
"""

from __future__ import annotations

import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

MAX_IMAGE_BYTES = 512 << 20
_MAX_VALUE = 16 << 20  # the longest text or blob SQLite hands back
DEADLINE = 30.0  # seconds of SQLite work per database
MAGIC = b"SQLite format 3\x00"
_WAL_MAGIC = (0x377F0682, 0x377F0683)  # checksums in little- / big-endian words
_WAL_HEADER = 32
_FRAME_HEADER = 24


class ImageTooLargeError(ValueError):
    """The database (with its log) is larger than :data:`MAX_IMAGE_BYTES`."""


def open_image(path: Path, max_bytes: int = MAX_IMAGE_BYTES) -> sqlite3.Connection:
    """A read-only in-memory connection to ``path`` as its last committed transaction left it.

    Raises ``OSError`` (unreadable), :class:`ImageTooLargeError` or ``sqlite3.DatabaseError``
    (not a database)."""
    log = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (log.stat().st_size if log.is_file() else 0)
    if size > max_bytes:
        raise ImageTooLargeError(f"database larger than {max_bytes >> 20} MB, skipped")
    image = bytearray(path.read_bytes())
    if log.is_file():
        image = apply_log(image, log.read_bytes(), max_bytes)
    if len(image) > 19 and image[18] == 2:  # a WAL database: in memory, a plain one
        image[18] = image[19] = 1
    connection = sqlite3.connect(":memory:")
    # Text that is not UTF-8 must not hide a whole table; a hostile schema runs no function.
    connection.text_factory = _text
    try:
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE)
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.deserialize(bytes(image))
        connection.execute("PRAGMA query_only = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def apply_log(image: bytearray, log: bytes, max_bytes: int = MAX_IMAGE_BYTES) -> bytearray:
    """``image`` with the committed frames of write-ahead log ``log`` written into it (a log
    that claims a database larger than ``max_bytes`` is not applied)."""
    if len(log) < _WAL_HEADER:
        return image
    magic, _version, page_size, _seq, salt1, salt2, check1, check2 = struct.unpack(
        ">8I", log[:_WAL_HEADER]
    )
    if magic not in _WAL_MAGIC or page_size < 512 or page_size & (page_size - 1):
        return image
    order = ">" if magic & 1 else "<"
    running = _checksum(log[:24], order, (0, 0))
    if running != (check1, check2):
        return image
    frame_size = _FRAME_HEADER + page_size
    pending: list[tuple[int, int]] = []  # (page number, frame offset) since the last commit
    committed: list[tuple[int, int]] = []
    pages_after = 0
    offset = _WAL_HEADER
    while offset + frame_size <= len(log):
        page, commit, frame_salt1, frame_salt2, sum1, sum2 = struct.unpack(
            ">6I", log[offset : offset + _FRAME_HEADER]
        )
        if (frame_salt1, frame_salt2) != (salt1, salt2):
            break
        running = _checksum(log[offset : offset + 8], order, running)
        running = _checksum(log[offset + _FRAME_HEADER : offset + frame_size], order, running)
        if running != (sum1, sum2):
            break
        pending.append((page, offset + _FRAME_HEADER))
        if commit:
            committed.extend(pending)
            pending = []
            pages_after = commit
        offset += frame_size
    if not committed:
        return image
    size = pages_after * page_size
    if size > max_bytes:
        raise ImageTooLargeError(f"database larger than {max_bytes >> 20} MB, skipped")
    if len(image) < size:
        image.extend(bytes(size - len(image)))
    for page, start in committed:
        at = (page - 1) * page_size
        if page and at + page_size <= size:
            image[at : at + page_size] = log[start : start + page_size]
    del image[size:]
    return image


def _checksum(data: bytes, order: str, seed: tuple[int, int]) -> tuple[int, int]:
    """SQLite's running checksum over 32-bit words (``order``: their byte order)."""
    s0, s1 = seed
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for index in range(0, len(words), 2):
        s0 = (s0 + words[index] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[index + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def is_database(path: Path) -> bool:
    """Whether ``path`` starts like a SQLite database file."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def table_texts(
    connection: sqlite3.Connection,
    max_bytes: int,
    deadline: float = DEADLINE,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[str, bytes]]:
    """Each table's text as ``(table, text)``: one line per row, its text values (and blobs
    that are UTF-8 text, such as JSON) joined by tabs, their own line breaks made spaces.

    Only stored columns are read (a generated column is an expression a hostile file could
    make huge). At most ``max_bytes`` of text in all, each value measured before it is kept;
    SQLite's work stops after ``deadline`` seconds or when ``stop()`` says so (a cancel). A
    table that cannot be read is passed over."""
    ends = time.monotonic() + deadline
    connection.set_progress_handler(lambda: int(stop() or time.monotonic() > ends), 10_000)
    budget = max_bytes
    try:
        names = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        ).fetchall()
    except sqlite3.Error:
        return
    for (name,) in names:
        quoted = '"' + str(name).replace('"', '""') + '"'
        lines: list[str] = []
        try:
            columns = [
                '"' + str(column).replace('"', '""') + '"'
                for _cid, column, *_rest, hidden in connection.execute(
                    f"PRAGMA table_xinfo({quoted})"
                )
                if hidden in (0, 3)  # plain and stored generated columns: on disk
            ]
            if not columns:
                continue
            query = f"SELECT {', '.join(columns)} FROM {quoted}"  # noqa: S608 (quoted)
            for row in connection.execute(query):
                cells: list[str] = []
                for value in row:
                    text = _text_value(value, budget)
                    if text:
                        cells.append(text)
                        budget -= len(text) + 1
                line = "\t".join(cells).replace("\r", " ").replace("\n", " ")
                lines.append(line)
                if budget < 0:
                    break
        except sqlite3.Error:
            pass  # what was read of the table stands
        if any(lines):
            yield str(name), "\n".join(lines).encode("utf-8", "surrogateescape")
        if budget < 0 or time.monotonic() > ends or stop():
            return


def _text_value(value: object, budget: int) -> str:
    """A cell's text, or nothing when it is not text or would pass the budget."""
    if isinstance(value, str):
        return value if len(value) <= budget else ""
    if isinstance(value, bytes) and len(value) <= budget and b"\x00" not in value[:1024]:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return ""
    return ""
