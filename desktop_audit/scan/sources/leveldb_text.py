"""LevelDB stores that desktop apps keep in the home (Electron's Local Storage and IndexedDB:
Postman environments, Insomnia, Slack, chat clients, editor extensions) read as the runs of
readable text in their records. A value a person saved (an environment's API key, a pasted
token) is a plain string once the store's own framing is undone:

* a log (``000123.log``) is cut into 32 KiB blocks; a record longer than what is left of a
  block is split into fragments with a 7-byte header between them, which are joined again;
* a table (``000123.ldb``, ``.sst``) holds blocks compressed with Snappy, found through the
  table's index and decompressed (cramjam), each within a size limit.

Nothing else is interpreted: no database is opened, nothing is locked. A file that does not
parse is read as its raw runs of text, so a damaged store still gives what it can.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from desktop_audit.scan.sources.ole_text import text_runs

_TABLE_OR_LOG = re.compile(r"\A\d{6,}\.(?:ldb|sst|log)\Z")  # LevelDB writes %06llu numbers
_LOG_BLOCK = 32 * 1024
_LOG_HEADER = 7  # checksum (4), length (2), type (1)
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_FOOTER = 48
_TABLE_MAGIC = bytes.fromhex("57fb808b247547db")  # 0xdb4775248b80fb57, little-endian
_NONE, _SNAPPY = 0, 1
MAX_BLOCK = 16 << 20  # a decompressed block larger than this is not a real store's
MAX_EXPANDED = 64 << 20  # all blocks of one table: a table of a few MiB never expands more
_MAX_FAILED_BLOCKS = 1000  # past this many bad handles the index is junk: the file is read raw


class _DamagedError(ValueError):
    """The store's framing does not parse."""


def is_leveldb_file(path: Path) -> bool:
    """A LevelDB table or log: ``000123.ldb`` (``.sst``, ``.log``) beside the store's
    ``CURRENT`` file."""
    if not _TABLE_OR_LOG.match(path.name):
        return False
    try:
        return (path.parent / "CURRENT").is_file()
    except OSError:
        return False


def leveldb_text(name: str, data: bytes) -> bytes:
    """The runs of readable text (8-bit and UTF-16LE, one per line) in the records of the
    LevelDB file ``name`` holding ``data``."""
    try:
        pieces = list(_log_records(data) if name.endswith(".log") else _table_blocks(data))
    except Exception:  # framing that does not parse (no table footer...): the raw runs
        pieces = [data]
    return b"\n".join(run for run in (text_runs(piece) for piece in pieces) if run)


def _log_records(data: bytes) -> Iterator[bytes]:
    """Each record of a log with its fragments joined; what follows a damaged header is
    given raw."""
    pending = bytearray()
    pos = 0
    size = len(data)
    while pos + _LOG_HEADER <= size:
        block_end = (pos // _LOG_BLOCK + 1) * _LOG_BLOCK
        if block_end - pos < _LOG_HEADER:
            pos = block_end  # a block's tail too short for a header is padding
            continue
        length = data[pos + 4] | data[pos + 5] << 8
        kind = data[pos + 6]
        start = pos + _LOG_HEADER
        end = start + length
        if kind not in (_FULL, _FIRST, _MIDDLE, _LAST) or end > min(block_end, size):
            # zeros (preallocated space) or damage: the rest of the block as it is, then on
            yield data[pos:block_end]
            pos = block_end
            continue
        if kind == _FULL:
            yield data[start:end]
        elif kind == _FIRST:
            if pending:
                yield bytes(pending)  # a record never finished: keep what it had
            pending = bytearray(data[start:end])
        else:
            pending += data[start:end]
            if kind == _LAST:
                yield bytes(pending)
                pending = bytearray()
        pos = end
    if pending:
        yield bytes(pending)


def _table_blocks(data: bytes) -> Iterator[bytes]:
    """Every data block of a table, decompressed, found through its index block."""
    if len(data) < _FOOTER or data[-8:] != _TABLE_MAGIC:
        raise _DamagedError("not a LevelDB table")
    footer = data[-_FOOTER:]
    _meta_offset, at = _varint(footer, 0)
    _meta_size, at = _varint(footer, at)
    index_offset, at = _varint(footer, at)
    index_size, _ = _varint(footer, at)
    budget = MAX_EXPANDED
    seen: set[int] = set()
    failed = 0
    for handle in _block_values(_block(data, index_offset, index_size)):
        offset, at = _varint(handle, 0)
        size, _ = _varint(handle, at)
        if offset in seen:
            continue  # an index naming one block twice: read once
        seen.add(offset)
        try:
            block = _block(data, offset, size)
        except Exception:  # a damaged block or handle: the raw file covers it, below
            failed += 1
            if failed > _MAX_FAILED_BLOCKS:
                raise _DamagedError("an index of damaged handles") from None
            continue
        budget -= len(block)
        if budget < 0:
            failed += 1  # past the limit: what was expanded stands, the rest is read raw
            break
        yield block
    if failed:
        yield data  # the raw runs: whatever the damaged or unexpanded blocks still hold


def _block(data: bytes, offset: int, size: int) -> bytes:
    """The block at ``offset`` (``size`` bytes, then a 1-byte compression type and a CRC)."""
    if offset < 0 or size < 0 or offset + size + 5 > len(data):
        raise _DamagedError("a block handle points outside the table")
    raw = data[offset : offset + size]
    kind = data[offset + size]
    if kind == _NONE:
        return raw
    import cramjam  # noqa: PLC0415  (only a store's tables need it)

    if kind == _SNAPPY:
        expanded, _ = _varint(raw, 0)
        if expanded > MAX_BLOCK:
            raise _DamagedError("a block claims to expand too far")
        return bytes(cramjam.snappy.decompress_raw(raw))
    # zstd (newer LevelDB builds; not Chromium's) or unknown: its size is not bounded here
    raise _DamagedError("a block compression this reader does not expand")


def _block_values(block: bytes) -> Iterator[bytes]:
    """The values of a block's entries (keys are prefix-compressed; values are whole)."""
    if len(block) < 4:
        raise _DamagedError("a block too short for its restart count")
    restarts = int.from_bytes(block[-4:], "little")
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise _DamagedError("a block's restart array runs past its start")
    at = 0
    while at < limit:
        _shared, at = _varint(block, at)
        unshared, at = _varint(block, at)
        length, at = _varint(block, at)
        at += unshared
        if at + length > limit:
            raise _DamagedError("an entry runs past its block")
        yield block[at : at + length]
        at += length


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """A little-endian base-128 integer at ``at``, and the offset after it."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise _DamagedError("a varint longer than 64 bits")
