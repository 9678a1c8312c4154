"""Read every object of a repository once, streamed: ``cat-file --batch-all-objects --batch-check``
lists objects, a second ``cat-file --batch`` is fed the ids of the blobs, commits and tags and
returns their content. Only objects present locally are listed, so a partial clone's missing
objects are never asked for (and never fetched)."""

from __future__ import annotations

import binascii
import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.container_kinds import PDF_MAGIC
from desktop_audit.scan.sources.gitcmd import Git, GitError, GitProcess
from desktop_audit.scan.sources.reading import decode_utf16, utf16_codec

CHECK_FORMAT = "--batch-check=%(objectname) %(objecttype) %(objectsize)"
# Blob ids remembered across repositories of one scan (clones share most blobs): about 60 MB.
MAX_SEEN = 1_000_000
_ONE_READ = 64 << 10  # objects smaller than this are read with their trailing newline
# Whether an earlier scan read an object: None (no: read it), False (clean), True (had hits).
Known = Callable[[str], bool | None]


@dataclass
class ObjectCounts:
    """What the listing saw; filled by the feeder thread, read after the stream ends."""

    objects: int = 0
    commits: int = 0
    tags: int = 0
    blobs: int = 0
    large: int = 0
    binary: int = 0
    missing: int = 0
    shared: int = 0  # blobs already read from another repository of this scan
    reused: int = 0  # objects an earlier scan with the same rules read (not read again)
    reused_blobs: int = 0
    reused_bytes: int = 0
    remembered: list[str] = field(default_factory=list)  # reused objects that had hits


class SeenBlobs:
    """Blob ids read so far in a scan (binary digests, capped at ``limit`` entries)."""

    def __init__(self, limit: int = MAX_SEEN) -> None:
        self.limit = limit
        self._ids: set[bytes] = set()

    def first_time(self, sha: bytes) -> bool:
        """True (and remembered) unless ``sha`` (hex) was seen before."""
        try:
            key = binascii.unhexlify(sha)
        except (ValueError, binascii.Error):
            return True
        if key in self._ids:
            return False
        if len(self._ids) < self.limit:
            self._ids.add(key)
        return True


# One listed object to read: id, type and size (a tree, ``missing`` or other line is not one).
_READABLE = re.compile(rb"^(\S+) (blob|commit|tag) (\S+)$", re.MULTILINE)
LIST_BLOCK = 1 << 20  # listing bytes parsed at once


def _feed(
    lister: GitProcess,
    reader: GitProcess,
    max_bytes: int,
    counts: ObjectCounts,
    seen: SeenBlobs | None,
    known: Known | None = None,
    block_size: int = LIST_BLOCK,
) -> None:
    """Copy ids to read (blobs within the size cap, commits, tags) into the reader's stdin;
    objects ``known`` from an earlier scan are counted (and listed when they had hits).

    The listing is parsed a block at a time (a regex finds the objects to read, trees are
    only counted) and the ids go to git in one write per block: this thread holds the GIL
    the scanning thread needs, and per-line Python work here was a tenth of a scan."""
    try:
        # read1: what git has written so far (up to a block), so the reader starts at once
        read = getattr(lister.stdout, "read1", lister.stdout.read)
        rest = b""
        while True:
            block = read(block_size)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            ids = _to_read(block[:cut], max_bytes, counts, seen, known)
            if ids:
                reader.stdin.write(b"\n".join(ids) + b"\n")
        if rest:  # a last line without its newline
            ids = _to_read(rest + b"\n", max_bytes, counts, seen, known)
            if ids:
                reader.stdin.write(b"\n".join(ids) + b"\n")
    except (OSError, ValueError):
        pass  # the reader went away (cancel or failure); its own error is reported
    finally:
        with contextlib.suppress(OSError):
            reader.stdin.close()


def _to_read(
    lines: bytes,
    max_bytes: int,
    counts: ObjectCounts,
    seen: SeenBlobs | None,
    known: Known | None,
) -> list[bytes]:
    """The ids to read among whole listing ``lines`` (``<id> <type> <size>`` each, or
    ``<id> missing``), counting what is passed over."""
    counts.missing += lines.count(b" missing\n")  # listed but unreadable: a corrupt object
    counts.objects += lines.count(b" tree ")  # an id holds no space: only a tree line has it
    ids: list[bytes] = []
    for sha, kind, size in _READABLE.findall(lines):
        counts.objects += 1
        if kind == b"blob":
            if int(size) > max_bytes:
                counts.large += 1
                continue
            if seen is not None and not seen.first_time(sha):
                counts.shared += 1
                continue
        elif kind == b"commit":
            counts.commits += 1
        else:
            counts.tags += 1
        if known is not None:
            answer = known(sha.decode("ascii"))
            if answer is not None:
                counts.reused += 1
                if kind == b"blob":
                    counts.reused_blobs += 1
                    counts.reused_bytes += int(size)
                if answer:
                    counts.remembered.append(sha.decode("ascii"))
                continue
        ids.append(sha)
    return ids


def iter_objects(
    git: Git,
    max_bytes: int,
    sniff_bytes: int,
    cancel: CancelToken,
    counts: ObjectCounts,
    seen: SeenBlobs | None = None,
    known: Known | None = None,
    on_binary: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, str, bytes]]:
    """Yield ``(id, type, content)`` for text blobs up to ``max_bytes`` (UTF-16 ones as
    UTF-8), commits and tags; a binary blob that is a container (:func:`blob_container`: an
    archive, an office document, a PDF) comes with the container's kind as its type.

    Blobs in ``seen`` (read from another repository) and objects ``known`` from an earlier
    scan are passed over; ``on_binary`` hears of each binary blob read and skipped. Raises
    :class:`GitError` when the repository cannot be read (corrupt object store).
    """
    lister = git.popen("cat-file", "--batch-all-objects", "--unordered", CHECK_FORMAT)
    try:
        # --buffer: git writes whole buffers, not one flush per object (the feeder streams
        # every id, and closes stdin at the end, so nothing waits for an answer)
        reader = git.popen("cat-file", "--batch", "--buffer", stdin=True)
    except GitError:
        lister.kill()
        raise
    feeder = threading.Thread(
        target=_feed,
        args=(lister, reader, max_bytes, counts, seen, known),
        daemon=True,
        name="git-feed",
    )
    feeder.start()
    finished = False
    try:
        out = reader.stdout
        while not cancel.cancelled:
            header = out.readline()
            if not header:
                finished = True
                break
            parts = header.split()
            if len(parts) == 2 and parts[1] == b"missing":
                counts.missing += 1
                continue
            if len(parts) != 3:
                raise GitError("unexpected output from git cat-file")
            size = int(parts[2])
            if size < _ONE_READ:  # content and its newline in one call, then a cheap slice
                data = out.read(size + 1)
                if len(data) != size + 1:
                    raise GitError("object stream ended early")
                data = data[:size]
            else:
                data = out.read(size)
                out.read(1)
                if len(data) != size:
                    raise GitError("object stream ended early")
            kind = parts[1].decode("ascii")
            if kind == "blob":
                counts.blobs += 1
                head = data[:sniff_bytes]
                binary = b"\x00" in head
                codec = utf16_codec(head) if binary else None
                if codec is not None:
                    data = decode_utf16(data, codec)  # Windows tools' text: read as text
                elif binary or data.startswith(PDF_MAGIC):  # a PDF may hold no NUL
                    # imported on the first such blob: a history of text never loads it
                    from desktop_audit.scan.sources.containers import (  # noqa: PLC0415
                        blob_container,
                    )

                    container = blob_container(data)
                    if container is not None:
                        yield parts[0].decode("ascii"), str(container), data
                        continue
                    if binary:
                        counts.binary += 1
                        if on_binary is not None:
                            on_binary(parts[0].decode("ascii"))
                        continue
            yield parts[0].decode("ascii"), kind, data
    finally:
        if finished and not cancel.cancelled:
            feeder.join()
            try:
                reader.finish()
            except GitError:
                lister.kill()
                raise
            lister.finish()
        else:
            reader.kill()
            lister.kill()
            feeder.join(timeout=5)


def packed_bytes(git_dir: Path) -> int:
    """The size of the repository's pack files (0: none, or not listable): a cheap estimate
    of what reading its objects gives (deltas make it more; binary blobs, which are passed
    over, make it less)."""
    try:
        with os.scandir(git_dir / "objects" / "pack") as entries:
            return sum(
                entry.stat(follow_symlinks=False).st_size
                for entry in entries
                if entry.name.endswith(".pack")
            )
    except OSError:
        return 0


def message_of(data: bytes) -> tuple[bytes, int]:
    """A commit or tag object's message and the number of header lines before it."""
    cut = data.find(b"\n\n")
    if cut < 0:
        return b"", 0
    return data[cut + 2 :], data.count(b"\n", 0, cut) + 2
