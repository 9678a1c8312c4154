"""Read-only file access: decide by ``fstat`` before reading, never follow a final symlink,
keep access times untouched where allowed, cap sizes and sniff binaries."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.scan.sources.catalogue import WalkRules

_O_NOATIME = getattr(os, "O_NOATIME", 0)
SMALL_FILE = 256 * 1024  # read whole in one call (a larger one is sniffed first)
_BASE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class SkipFile(Exception):  # noqa: N818 - a control-flow signal, not an error class
    """The file is not read; ``str(exc)`` is the one-line reason for the error list and
    ``counter`` the coverage counter it adds to (``skipped_too_large`` ...). ``transient``:
    reading it again may succeed (a reader that timed out or crashed, a cancel)."""

    def __init__(
        self,
        reason: str,
        *,
        report: bool = True,
        counter: str = "skipped",
        transient: bool = False,
    ) -> None:
        super().__init__(reason)
        self.report = report
        self.counter = counter
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Chunk:
    """Part of a file: ``line_base`` lines come before it."""

    data: bytes
    line_base: int


def open_readonly(path: Path, *, follow: bool = False) -> int:
    """Open for reading only; a FIFO or device is refused before any read."""
    flags = _BASE_FLAGS if not follow else _BASE_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | _O_NOATIME)
    except PermissionError:
        fd = os.open(path, flags)  # O_NOATIME needs ownership; fall back without it
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", -1):
            raise SkipFile(
                "symbolic link, not followed", report=False, counter="skipped_symlink"
            ) from exc
        raise
    return fd


def read_small(path: Path, limit: int, *, follow: bool = False) -> bytes:
    """The first ``limit`` bytes of a small regular file (a marker such as ``.git`` or
    ``HEAD``): a FIFO, device, directory or (unless ``follow``) symbolic link is refused
    before any read (``ValueError``), so a hostile tree cannot make the scan wait; ``OSError``
    when it cannot be opened."""
    try:
        fd = open_readonly(path, follow=follow)
    except SkipFile as exc:  # a symbolic link
        raise ValueError(str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        return os.read(fd, limit)
    finally:
        os.close(fd)


def too_large(size: int) -> str:
    return f"too large ({size} bytes), skipped"


def is_binary(head: bytes) -> bool:
    return b"\x00" in head


def utf16_codec(head: bytes) -> str | None:
    """``utf-16`` for a byte-order mark, ``utf-16-le``/``-be`` for BOM-less text whose every
    other byte is NUL (Windows tools write such files); None otherwise."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16"
    sample = head[:512]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode_utf16(data: bytes, codec: str) -> bytes:
    """UTF-16 text as UTF-8 bytes (invalid units replaced); line breaks are kept."""
    return data.decode(codec, "replace").encode("utf-8")


def has_suffix(path: Path, suffixes: frozenset[str]) -> bool:
    return path.name.lower().endswith(_as_tuple(suffixes))


@functools.lru_cache(maxsize=64)
def _as_tuple(suffixes: frozenset[str]) -> tuple[str, ...]:
    return tuple(suffixes)


def read_chunks(path: Path, rules: WalkRules, *, follow: bool = False) -> Iterator[Chunk]:
    """Yield a text file's content (one chunk, or line-aligned chunks for big files).

    Raises :class:`SkipFile` for non-regular, too large or binary files and ``OSError`` for
    unreadable ones.
    """
    fd = open_readonly(path, follow=follow)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkipFile("not a regular file", report=False, counter="skipped_special")
        if st.st_size > rules.max_file_bytes:
            raise SkipFile(too_large(st.st_size), counter="skipped_too_large")
        whole = False
        if st.st_size <= min(SMALL_FILE, rules.chunk_bytes):  # one read (+1: did it grow?)
            head = os.read(fd, st.st_size + 1)
            whole = len(head) == st.st_size
        else:  # sniff first: a large binary file is never read further
            head = _read_at_least(fd, rules.sniff_bytes)
        sniff = head[: rules.sniff_bytes]
        codec = utf16_codec(sniff)
        if codec is not None:
            yield Chunk(decode_utf16(head if whole else head + _read_rest(fd), codec), 0)
            return
        if is_binary(sniff) and not has_suffix(path, rules.key_container_suffixes):
            raise SkipFile("binary, skipped", report=False, counter="skipped_binary")
        if whole:
            yield Chunk(head, 0)
            return
        yield from _chunks(fd, head, rules)
    finally:
        os.close(fd)


def _read_at_least(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        block = os.read(fd, size - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def _chunks(fd: int, head: bytes, rules: WalkRules) -> Iterator[Chunk]:
    pending = head
    line_base = 0
    while True:
        block = os.read(fd, rules.chunk_bytes)
        if not block:
            break
        pending += block
        if len(pending) < rules.chunk_bytes:
            continue
        cut = pending.rfind(b"\n") + 1
        if cut == 0:
            cut = len(pending)
        piece, pending = pending[:cut], pending[cut:]
        yield Chunk(piece, line_base)
        line_base += piece.count(b"\n")
    if pending or line_base == 0:
        yield Chunk(pending, line_base)


def read_whole(path: Path, rules: WalkRules, *, follow: bool = False) -> bytes:
    """The whole content of a small regular file (text or binary), within the size cap."""
    fd = open_readonly(path, follow=follow)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkipFile("not a regular file", report=False, counter="skipped_special")
        if st.st_size > rules.max_file_bytes:
            raise SkipFile(too_large(st.st_size), counter="skipped_too_large")
        return _read_rest(fd)
    finally:
        os.close(fd)


def _read_rest(fd: int) -> bytes:
    parts = []
    while True:
        block = os.read(fd, 1 << 20)
        if not block:
            break
        parts.append(block)
    return b"".join(parts)
