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
import gzip
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
from typing import IO

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
    opener = _single_stream(handle)
    handle.seek(0)
    if opener is None:
        yield from _tar_members(handle, rules, budget)
    else:
        yield _single_member(opener(handle), stem, rules, budget)


# Compressed streams that may hold one file rather than a tar: magic -> opener.
_Opener = Callable[[IO[bytes]], io.BufferedIOBase]
_STREAMS: tuple[tuple[bytes, _Opener], ...] = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", lambda raw: bz2.BZ2File(raw, mode="rb")),
    (b"\xfd7zXZ\x00", lambda raw: lzma.LZMAFile(raw, mode="rb")),  # noqa: SIM115 - closed by the caller
)
_TAR_MAGIC_AT = 257  # "ustar" in a POSIX or GNU tar header


def _single_stream(handle: IO[bytes]) -> _Opener | None:
    """The opener of a compressed stream that is not a tar (its first 512 expanded bytes
    carry no ``ustar`` header); None for a tar or anything else (the tar reader decides)."""
    head = handle.read(6)
    for magic, opener in _STREAMS:
        if head.startswith(magic):
            handle.seek(0)
            try:
                with opener(handle) as stream:
                    first = stream.read(_TAR_MAGIC_AT + 5)
            except (OSError, EOFError, ValueError, lzma.LZMAError):
                return None  # damaged: the tar reader reports it
            return None if first[_TAR_MAGIC_AT:].startswith(b"ustar") else opener
    return None


def _single_member(
    stream: io.BufferedIOBase, name: str, rules: WalkRules, budget: Budget
) -> Member:
    """The one file a compressed stream holds, read within the expansion limits."""
    budget.members += 1
    parts: list[bytes] = []
    read = 0
    try:
        with stream:
            while True:
                block = stream.read(1 << 16)
                if not block:
                    break
                read += len(block)
                if read > rules.max_file_bytes:
                    return Member(name, None, "skipped_too_large")
                budget.add(len(block))
                parts.append(block)
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
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
