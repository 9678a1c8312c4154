"""Listing and reading a repository's objects (``git_objects``), on real repositories."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from desktop_audit.models import SourceKind
from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.git_objects import (
    CHECK_FORMAT,
    ObjectCounts,
    SeenBlobs,
    _feed,
    iter_objects,
    packed_bytes,
)
from desktop_audit.scan.sources.gitcmd import Git
from tests.scan.sources.conftest import blob_id, commit_file, git, make_ctx

MAX_BYTES = 1000


class _Ids(io.BytesIO):
    """The reader's stdin, keeping what was written after it is closed."""

    written = b""

    def close(self) -> None:
        self.written = self.getvalue()
        super().close()


class _Reader:
    def __init__(self) -> None:
        self.stdin = _Ids()


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for index in range(12):
        commit_file(repo, f"dir{index % 3}/file{index}.txt", f"text {index}\n", f"c{index}")
    commit_file(repo, "big.txt", "x" * (MAX_BYTES + 1), "big")
    git(repo, "tag", "-a", "-m", "release", "v1")
    return repo


def _listing(repo: Path) -> list[list[str]]:
    out = git(repo, "cat-file", "--batch-all-objects", "--unordered", CHECK_FORMAT)
    return [line.split() for line in out.splitlines()]


@pytest.mark.parametrize("block_size", [7, 64, 1 << 20])
def test_feed_passes_every_readable_id_and_counts_the_rest(tmp_path: Path, block_size: int) -> None:
    repo = _repository(tmp_path)
    listed = _listing(repo)
    counts = ObjectCounts()
    reader = _Reader()
    lister = Git(repo / ".git").popen(
        "cat-file", "--batch-all-objects", "--unordered", CHECK_FORMAT
    )
    _feed(lister, reader, MAX_BYTES, counts, SeenBlobs(), block_size=block_size)  # type: ignore[arg-type]
    lister.finish()

    expected = [
        sha
        for sha, kind, size in listed
        if kind in ("commit", "tag") or (kind == "blob" and int(size) <= MAX_BYTES)
    ]
    assert reader.stdin.written.decode().split() == expected
    kinds = [kind for _sha, kind, _size in listed]
    assert counts.objects == len(listed)
    assert counts.commits == kinds.count("commit") == 13
    assert counts.tags == kinds.count("tag") == 1
    assert counts.large == 1
    assert counts.missing == counts.shared == counts.reused == 0


def test_feed_asks_known_objects_and_passes_shared_blobs_over(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    listed = _listing(repo)
    shared = blob_id(repo, "text 0\n")
    clean = blob_id(repo, "text 1\n")
    with_hits = blob_id(repo, "text 2\n")
    seen = SeenBlobs()
    seen.first_time(shared.encode())  # read from another repository of this scan
    answers = {clean: False, with_hits: True}
    asked: list[str] = []

    def known(sha: str) -> bool | None:
        asked.append(sha)
        return answers.get(sha)

    counts = ObjectCounts()
    reader = _Reader()
    lister = Git(repo / ".git").popen(
        "cat-file", "--batch-all-objects", "--unordered", CHECK_FORMAT
    )
    _feed(lister, reader, MAX_BYTES, counts, seen, known, block_size=50)  # type: ignore[arg-type]
    lister.finish()

    written = reader.stdin.written.decode().split()
    assert shared not in written and shared not in asked
    assert clean not in written and with_hits not in written
    assert counts.shared == 1
    assert counts.reused == counts.reused_blobs == 2
    assert counts.reused_bytes == len("text 1\n") + len("text 2\n")
    assert counts.remembered == [with_hits]
    readable = [s for s, k, n in listed if k != "tree" and not (k == "blob" and int(n) > MAX_BYTES)]
    assert len(asked) == len(readable) - 1


def test_iter_objects_yields_text_blobs_commits_and_tags(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    counts = ObjectCounts()
    objects = list(
        iter_objects(Git(repo / ".git"), MAX_BYTES, 8000, CancelToken(), counts, SeenBlobs())
    )
    by_id = {sha: (kind, data) for sha, kind, data in objects}
    assert by_id[blob_id(repo, "text 5\n")] == ("blob", b"text 5\n")
    assert [kind for kind, _data in by_id.values()].count("commit") == 13
    assert [kind for kind, _data in by_id.values()].count("tag") == 1
    assert counts.blobs == 12 and counts.large == 1
    assert counts.objects == len(_listing(repo))


def test_a_repository_tells_detection_its_packed_size_before_its_objects(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    loose_ctx = make_ctx(tmp_path)
    told: list[tuple[int, int]] = []  # (bytes expected, history fragments given before)
    fragments = 0
    loose_ctx.expect = lambda nbytes: told.append((nbytes, fragments))
    for fragment in GitSource([repo]).iter_fragments(loose_ctx):
        fragments += fragment.origin.source is SourceKind.GIT_HISTORY
    assert told == [(0, 0)] and fragments > 12  # all loose: nothing packed to go by
    git(repo, "gc", "-q")
    packs = sum(p.stat().st_size for p in (repo / ".git/objects/pack").glob("*.pack"))
    assert packs > 0 and packed_bytes(repo / ".git") == packs
    told.clear()
    fragments = 0
    packed_ctx = make_ctx(tmp_path)
    packed_ctx.expect = lambda nbytes: told.append((nbytes, fragments))
    for fragment in GitSource([repo]).iter_fragments(packed_ctx):
        fragments += fragment.origin.source is SourceKind.GIT_HISTORY
    assert told == [(packs, 0)]  # said before the first fragment
    assert packed_bytes(tmp_path / "not-a-repository") == 0
