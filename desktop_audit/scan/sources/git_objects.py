"""Read every blob of a repository once, streamed: ``cat-file --batch-all-objects --batch-check``
lists objects, a second ``cat-file --batch`` is fed the blob ids and returns their content."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.gitcmd import Git, GitError, GitProcess

CHECK_FORMAT = "--batch-check=%(objectname) %(objecttype) %(objectsize)"


@dataclass
class ObjectCounts:
    """What the listing saw; filled by the feeder thread, read after the stream ends."""

    objects: int = 0
    commits: int = 0
    blobs: int = 0
    large: int = 0
    binary: int = 0
    missing: int = 0


def _feed(lister: GitProcess, reader: GitProcess, max_bytes: int, counts: ObjectCounts) -> None:
    """Copy blob ids within the size cap from the listing into the reader's stdin."""
    try:
        for line in lister.stdout:
            parts = line.split()
            if len(parts) != 3:
                if parts[-1:] == [b"missing"]:
                    counts.missing += 1  # listed but unreadable: a corrupt object
                continue
            counts.objects += 1
            kind = parts[1]
            if kind == b"commit":
                counts.commits += 1
            elif kind == b"blob":
                if int(parts[2]) > max_bytes:
                    counts.large += 1
                    continue
                reader.stdin.write(parts[0] + b"\n")
    except (OSError, ValueError):
        pass  # the reader went away (cancel or failure); its own error is reported
    finally:
        with contextlib.suppress(OSError):
            reader.stdin.close()


def iter_blobs(
    git: Git, max_bytes: int, sniff_bytes: int, cancel: CancelToken, counts: ObjectCounts
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(blob id, content)`` for every text blob up to ``max_bytes``.

    Raises :class:`GitError` when the repository cannot be read (corrupt object store).
    """
    lister = git.popen("cat-file", "--batch-all-objects", "--unordered", CHECK_FORMAT)
    try:
        reader = git.popen("cat-file", "--batch", stdin=True)
    except GitError:
        lister.kill()
        raise
    feeder = threading.Thread(
        target=_feed, args=(lister, reader, max_bytes, counts), daemon=True, name="git-feed"
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
            data = out.read(size)
            out.read(1)
            if len(data) != size:
                raise GitError("object stream ended early")
            counts.blobs += 1
            if b"\x00" in data[:sniff_bytes]:
                counts.binary += 1
                continue
            yield parts[0].decode("ascii"), data
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
