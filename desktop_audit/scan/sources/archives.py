"""Zip and tar archives read one level deep, with limits a decompression bomb cannot pass.

Limits (``WalkRules``): size on disk, total expanded bytes, expanded/compressed ratio (applied
once more than :data:`RATIO_FLOOR` bytes are expanded, so tiny archives never trip it) and
member count. Zip limits are checked on the central directory before anything is expanded and
again while reading (a directory can lie); tar streams are checked as they are read. Members
that are archives themselves are not opened. Nothing is extracted to disk.
"""

from __future__ import annotations

import bz2
import contextlib
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.reading import SkipFile, has_suffix, open_readonly, too_large

RATIO_FLOOR = 1 << 20
BOMB = "archive exceeds the expansion limits ({why}); possible decompression bomb, skipped"
_NESTED = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar", ".whl")


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file inside an archive (``data`` is None when it is passed over)."""

    name: str
    data: bytes | None
    skipped: str = ""  # the coverage counter for a passed-over member


class Budget:
    """Running totals against the limits; raises :class:`SkipFile` when one is passed."""

    def __init__(self, rules: WalkRules, compressed: int) -> None:
        self.rules = rules
        self.compressed = max(compressed, 1)
        self.expanded = 0
        self.members = 0

    def check(self, expanded: int, members: int = 0) -> None:
        rules = self.rules
        if members > rules.archive_max_members:
            raise bomb(f"more than {rules.archive_max_members} members")
        if expanded > rules.archive_max_expanded:
            raise bomb(f"more than {rules.archive_max_expanded} bytes expanded")
        if expanded > RATIO_FLOOR and expanded > rules.archive_max_ratio * self.compressed:
            raise bomb(f"expands more than {rules.archive_max_ratio} times")

    def add(self, nbytes: int) -> None:
        self.expanded += nbytes
        self.check(self.expanded, self.members)


def bomb(why: str) -> SkipFile:
    return SkipFile(BOMB.format(why=why), counter="skipped_archive_limits")


def is_archive(path: Path, rules: WalkRules) -> bool:
    return has_suffix(path, frozenset(rules.archive_suffixes))


def iter_members(path: Path, rules: WalkRules) -> Iterator[Member]:
    """Regular-file members of a zip or tar archive, in archive order; a single compressed
    file (``dump.sql.gz``) is one member named without its suffix.

    Raises :class:`SkipFile` (limits, not an archive) or ``OSError``; members already yielded
    stay valid when a limit is passed later in the archive.
    """
    fd = open_readonly(path)
    with os.fdopen(fd, "rb") as handle:
        stem = path.name.rsplit(".", 1)[0] or "contents"
        yield from _members(handle, _regular_size(handle), rules, stem)


def iter_members_in(data: bytes, rules: WalkRules) -> Iterator[Member]:
    """:func:`iter_members` of an archive held in memory (a git blob), with the same limits;
    a single compressed file is one member named ``contents``."""
    with io.BytesIO(data) as handle:
        yield from _members(handle, len(data), rules, "contents")


def zip_names(data: bytes) -> list[str]:
    """The member names of a zip archive in memory, from its central directory (nothing is
    expanded); empty when it is not a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except Exception:  # any damage (a bad version, a lying directory): not a readable zip
        return []


def _members(handle: IO[bytes], size: int, rules: WalkRules, stem: str) -> Iterator[Member]:
    if size > rules.archive_max_bytes:
        raise SkipFile(too_large(size), counter="skipped_too_large")
    budget = Budget(rules, size)
    if zipfile.is_zipfile(handle):
        handle.seek(0)
        yield from _zip_members(handle, rules, budget)
        return
    handle.seek(0)
    magic = compression(handle.read(6))
    handle.seek(0)
    if magic is None or _holds_a_tar(handle, magic):
        handle.seek(0)
        yield from _tar_members(handle, rules, budget)
    else:
        handle.seek(0)
        yield _single_member(handle, magic, stem, rules, budget)


class _Gunzip:
    """One gzip member, inflated raw: its trailer's checksum is not checked, so a file whose
    CRC or length is damaged still gives all its text (``gunzip`` would refuse it). Same
    interface as ``bz2.BZ2Decompressor``; ``unused_data`` starts with the 8-byte trailer."""

    def __init__(self) -> None:
        self._header = b""
        self._raw: Any = None
        self.eof = False
        self.needs_input = True
        self.unused_data = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._raw is None:
            self._header += data
            start = _gzip_header_end(self._header)
            if start is None:
                return b""  # the header goes on in the next read
            self._raw = zlib.decompressobj(-zlib.MAX_WBITS)
            data, self._header = self._header[start:], b""
        out: bytes = self._raw.decompress(self._raw.unconsumed_tail + data, max_length)
        self.needs_input = not self._raw.unconsumed_tail
        if self._raw.eof:
            self.eof = True
            self.unused_data = self._raw.unused_data
        return out


_FTEXT, _FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 1, 2, 4, 8, 16


def _gzip_header_end(head: bytes) -> int | None:
    """Where a gzip member's deflate data starts, or None when ``head`` is too short to
    tell; raises ``zlib.error`` for a header that is not gzip's."""
    if len(head) < 10:
        return None
    if head[:3] != b"\x1f\x8b\x08":
        raise zlib.error("not a gzip member")
    flags, at = head[3], 10
    if flags & _FEXTRA:
        if len(head) < at + 2:
            return None
        at += 2 + int.from_bytes(head[at : at + 2], "little")
    for field in (_FNAME, _FCOMMENT):
        if flags & field:
            end = head.find(b"\0", at)
            if end < 0:
                if len(head) > _STEP * 4:
                    raise zlib.error("a gzip header field that never ends")
                return None
            at = end + 1
    if flags & _FHCRC:
        at += 2
    return at if len(head) >= at else None


# Compressed streams that may hold one file rather than a tar: magic -> a decompressor of
# one stream (gzip member, bzip2 or xz stream) that hands back what follows it, and the
# bytes that close a stream before the next one may start.
_DECOMPRESSORS: dict[bytes, Callable[[], Any]] = {
    b"\x1f\x8b": _Gunzip,
    b"BZh": bz2.BZ2Decompressor,
    b"\xfd7zXZ\x00": lambda: lzma.LZMADecompressor(memlimit=_XZ_MEMORY),
}
_TRAILERS = {b"\x1f\x8b": 8}  # gzip: CRC-32 and length
_STEP = 1 << 16  # bytes fed and expanded at a time: a bomb never expands past this per step
_MAX_STREAMS = 64  # concatenated streams read in one file (``cat a.gz b.gz``); more is junk
_XZ_MEMORY = 256 << 20  # an xz header asking for a larger dictionary is refused, not obeyed
_DAMAGE = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, MemoryError)


def compression(head: bytes) -> bytes | None:
    """The magic of the gzip, bzip2 or xz stream ``head`` starts, or None."""
    return next((magic for magic in _DECOMPRESSORS if head.startswith(magic)), None)


def _expanded(handle: IO[bytes], magic: bytes, limit: int) -> Iterator[bytes]:
    """The expanded bytes of a compressed file, at most ``_STEP`` at a time and ``limit`` in
    all, across at most ``_MAX_STREAMS`` concatenated streams (zero padding between them is
    skipped). Raises what the decompressor raises on damage (what came before stays
    yielded)."""
    new = _DECOMPRESSORS[magic]
    decompressor = new()
    streams, given = 1, 0
    data = b""  # compressed bytes not yet handed to the decompressor
    while given < limit:
        out, data = _step(decompressor, handle, data)
        if out:
            given += len(out)
            yield out
        if decompressor.eof:
            rest = _next_stream(handle, decompressor.unused_data + data, magic)
            if rest is None or streams >= _MAX_STREAMS:
                return  # the end, or trailing bytes that are not a stream (as gunzip does)
            decompressor, streams, data = new(), streams + 1, rest
        elif not out and not data and decompressor.needs_input:
            data = handle.read(_STEP)
            if not data:
                return  # the file ends inside a stream: what was expanded stands


def _next_stream(handle: IO[bytes], rest: bytes, magic: bytes) -> bytes | None:
    """The start of the next concatenated stream (its trailer and zero padding skipped,
    reading on as far as needed), or None when none follows."""
    skip = _TRAILERS.get(magic, 0)
    while True:
        if len(rest) < skip + len(magic):
            more = handle.read(_STEP)
            if not more:
                return None
            rest += more
            continue
        if skip:
            rest, skip = rest[skip:], 0
            continue
        stripped = rest.lstrip(b"\0")
        if not stripped:
            rest = b""
            continue  # zero padding: read on
        if len(stripped) < len(magic):
            rest = stripped
            continue
        return stripped if stripped.startswith(magic) else None


def _step(decompressor: Any, handle: IO[bytes], data: bytes) -> tuple[bytes, bytes]:
    """One bounded step: ``(expanded bytes, compressed bytes still to hand over)``."""
    if decompressor.needs_input:
        if not data:
            data = handle.read(_STEP)
        return decompressor.decompress(data, _STEP), b""
    return decompressor.decompress(b"", _STEP), data  # it still holds input of its own


def _holds_a_tar(handle: IO[bytes], magic: bytes) -> bool:
    """Whether a compressed file's first 512 expanded bytes are a valid tar header (its
    checksum checked: old v7 tars have no ``ustar`` mark)."""
    head = b""
    try:
        for piece in _expanded(handle, magic, 512):
            head += piece
            if len(head) >= 512:
                break
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
    except (tarfile.TarError, *_DAMAGE):
        return False
    return True


def _single_member(
    handle: IO[bytes], magic: bytes, name: str, rules: WalkRules, budget: Budget
) -> Member:
    """The one file a compressed file holds, read within the expansion limits; when the
    stream is damaged part way, what was expanded before the damage."""
    budget.members += 1
    parts: list[bytes] = []
    read = 0
    try:
        for block in _expanded(handle, magic, rules.max_file_bytes + 1):
            read += len(block)
            if read > rules.max_file_bytes:
                raise SkipFile(f"{name}: {too_large(read)}", counter="skipped_too_large")
            budget.add(len(block))
            parts.append(block)
    except _DAMAGE as exc:
        if not parts:
            raise SkipFile("corrupt compressed file, skipped", counter="unreadable") from exc
    return Member(name, b"".join(parts))


def _regular_size(handle: IO[bytes]) -> int:
    st = os.fstat(handle.fileno())
    if not stat.S_ISREG(st.st_mode):
        raise SkipFile("not a regular file", report=False, counter="skipped_special")
    return st.st_size


def _passed_over(name: str, size: int, rules: WalkRules) -> str:
    if has_suffix(Path(name), frozenset(_NESTED)):
        return "archive_nested_skipped"
    if size > rules.max_file_bytes:
        return "skipped_too_large"
    if has_suffix(Path(name), rules.skip_file_suffixes):
        return "skipped_excluded_suffix"
    return ""


def _zip_members(handle: IO[bytes], rules: WalkRules, budget: Budget) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SkipFile("unreadable zip archive, skipped", counter="unreadable") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        declared = sum(info.file_size for info in infos)
        budget.check(declared, len(infos))
        for info in infos:
            budget.members += 1
            skipped = _passed_over(info.filename, info.file_size, rules)
            if skipped or info.flag_bits & 0x1:  # 0x1: encrypted, nothing to read
                yield Member(info.filename, None, skipped or "skipped_encrypted")
                continue
            yield Member(info.filename, _read_capped(archive, info, budget))


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    """A member's bytes, refusing more than it declared (a lying directory is a bomb); a
    member that cannot be opened (bad header, unsupported compression) is corrupt."""
    declared = info.file_size
    parts: list[bytes] = []
    got = 0
    try:
        stream = archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError) as exc:
        raise SkipFile("corrupt archive member, skipped", counter="unreadable") from exc
    with stream:
        try:
            while True:
                block = stream.read(1 << 16)
                if not block:
                    break
                got += len(block)
                if got > declared:
                    raise bomb("a member expands past its declared size")
                budget.add(len(block))
                parts.append(block)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError) as exc:
            raise SkipFile("corrupt archive member, skipped", counter="unreadable") from exc
    return b"".join(parts)


def _tar_members(handle: IO[bytes], rules: WalkRules, budget: Budget) -> Iterator[Member]:
    try:
        archive = tarfile.open(fileobj=handle, mode="r|*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SkipFile("not a readable archive, skipped", counter="unreadable") from exc
    try:
        for info in _tar_infos(archive, budget):
            if not info.isfile():
                continue
            budget.members += 1
            budget.check(archive.offset + info.size, budget.members)
            skipped = _passed_over(info.name, info.size, rules)
            if skipped:
                yield Member(info.name, None, skipped)
                continue
            extracted = archive.extractfile(info)
            data = extracted.read() if extracted is not None else b""
            budget.expanded = archive.offset + info.size
            yield Member(info.name, data)
    finally:
        with contextlib.suppress(tarfile.TarError, OSError, EOFError):
            archive.close()


def _tar_infos(archive: tarfile.TarFile, budget: Budget) -> Iterator[tarfile.TarInfo]:
    while True:
        try:
            info = archive.next()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SkipFile("corrupt archive, skipped", counter="unreadable") from exc
        if info is None:
            return
        budget.check(archive.offset, budget.members)
        yield info
