"""The issue's "done when" for git, with the real rule pack: each planted credential is found
with the right provenance; commit and tag messages; shallow and partial clones; coverage."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_audit.models import LocatedHit, SourceKind
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.git_coverage import SHALLOW
from desktop_audit.scan.sources.git_objects import iter_objects
from tests.scan.sources.conftest import commit_file, git, make_ctx, tree_digest
from tests.scan.sources.detection import run


def token(seed: int) -> str:
    rng = random.Random(seed)  # noqa: S311 - reproducible fake values, not keys
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


PLACES = ("removed", "side", "stash", "reflog", "dangling", "remote", "env", "message", "tag")
TOKENS = {place: token(i) for i, place in enumerate(PLACES)}


def build(root: Path) -> tuple[Path, dict[str, str]]:
    repo = root / "work"
    repo.mkdir()
    git(repo, "init", "-q")
    commits = {"init": commit_file(repo, "README.md", "# r\n", "init")}
    commits["removed"] = commit_file(repo, "config.py", f'TOKEN = "{TOKENS["removed"]}"\n', "cfg")
    git(repo, "rm", "-q", "config.py")
    git(repo, "commit", "-q", "-m", "remove the token")
    git(repo, "checkout", "-q", "-b", "side")
    commits["side"] = commit_file(repo, "side.txt", f"token: {TOKENS['side']}\n", "side")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "app.txt", "v0\n", "app")
    for n, text in enumerate(("first", f"token: {TOKENS['stash']}", "third")):
        (repo / "app.txt").write_text(f"{text}\n")
        # One fixed date: the entries' index commits are then identical, whatever the clock.
        stamp = {"GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
        git(repo, "stash", "push", "-q", "-m", f"entry {n}", env=stamp)
    # stash@{1} is the second of three entries
    commits["reflog"] = commit_file(repo, "tmp.txt", f"token: {TOKENS['reflog']}\n", "wip")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (root / "d.txt").write_text(f"token: {TOKENS['dangling']}\n")
    git(repo, "hash-object", "-w", str(root / "d.txt"))
    (root / "d.txt").unlink()
    git(repo, "remote", "add", "origin", f"https://x:{TOKENS['remote']}@github.com/o/r.git")
    (repo / ".env").write_text(f"GITHUB_TOKEN={TOKENS['env']}\n")
    commits["message"] = commit_file(repo, "m.txt", "m\n", f"deploy\n\nused {TOKENS['message']}")
    git(repo, "tag", "-a", "v1", "-m", f"release\n\ntoken {TOKENS['tag']}")
    return repo, commits


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    root = tmp_path_factory.mktemp("prov")
    repo, commits = build(root)
    ctx = make_ctx(root)
    source = GitSource([root])
    return repo, commits, run(source, ctx, with_profile=False), ctx


def where(located: list[LocatedHit], place: str) -> list[tuple]:
    """Locations of the hits whose redacted preview ends like the place's token."""
    tail = TOKENS[place][-4:]
    return sorted(
        {
            (h.location.source, h.location.path, h.location.line, h.location.commit, h.location.ref)
            for h in located
            if h.hit.redacted.endswith(tail) and h.hit.kind.value == "credential"
        },
        key=str,
    )


def test_each_place_is_found_with_its_provenance(scanned: tuple) -> None:
    repo, commits, located, ctx = scanned
    r = str(repo)
    hist = SourceKind.GIT_HISTORY
    assert where(located, "removed") == [
        (hist, f"{r}/config.py", 1, commits["removed"], "refs/heads/main")
    ]
    assert where(located, "side") == [
        (hist, f"{r}/side.txt", 1, commits["side"], "refs/heads/side")
    ]
    (stash,) = where(located, "stash")
    assert stash[:3] == (hist, f"{r}/app.txt", 1) and stash[4] == "stash" and stash[3]
    assert where(located, "reflog") == [(hist, f"{r}/tmp.txt", 1, commits["reflog"], "reflog")]
    assert where(located, "dangling") == [(hist, r, 1, None, "unreachable")]
    (remote,) = where(located, "remote")
    assert remote[:2] == (SourceKind.GIT_CONFIG, f"{r}/.git/config")
    assert where(located, "env") == [(SourceKind.GIT_WORKTREE, f"{r}/.env", 1, None, None)]
    assert where(located, "message") == [(hist, r, 3, commits["message"], "refs/heads/main")]
    (tag,) = where(located, "tag")
    assert tag[0] == hist and tag[2] == 3 and tag[4] == "refs/tags/v1"
    assert ctx.errors == []


def test_a_walk_done_while_the_objects_are_read_places_every_hit_the_same(
    scanned: tuple, tmp_path: Path
) -> None:
    _repo, _commits, located, ctx = scanned
    assert "early_walks" not in ctx.stat("git").counters  # a small repository: none
    repo, _ = build(tmp_path)
    git(repo, "gc", "-q")  # packed, as most clones are
    source = GitSource([tmp_path])
    source.early_walk_after = 0  # (a repository of any size)
    packed_ctx = make_ctx(tmp_path)
    again = run(source, packed_ctx, with_profile=False)
    assert packed_ctx.stat("git").counters["early_walks"] == 1
    for place in TOKENS:
        assert _shape(again, place, tmp_path) == _shape(located, place, repo_root(scanned)), place


def repo_root(scanned: tuple) -> Path:
    return Path(scanned[0]).parent


def _shape(located: list[LocatedHit], place: str, root: Path) -> list[tuple]:
    """A place's locations with paths under ``root`` and without commit ids (which differ
    between two builds)."""
    return sorted(
        (source, str(Path(path).relative_to(root)), line, commit is not None, ref)
        for source, path, line, commit, ref in where(located, place)
    )


def test_repository_coverage_record(scanned: tuple) -> None:
    repo, _commits, _located, ctx = scanned
    (cov,) = ctx.coverage
    record = cov.as_dict()
    assert record["path"] == str(repo)
    assert record["refs"] == 4  # main, side, refs/stash, v1
    assert record["stashes"] == 3
    # the reset commit and the two older stash entries (their index commits are identical)
    assert record["reflog_only_commits"] == 3
    assert record["unreachable_commits"] == 0
    assert record["blobs"] > 5 and record["bytes"] > 0 and record["objects"] > record["blobs"]
    assert (record["shallow"], record["partial"], record["errors"]) == (False, False, [])
    counters = ctx.stat("git").counters
    assert counters["messages"] >= 8 and counters["tags"] == 1


def test_shallow_clone_is_scanned_and_reported(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "-q")
    for n in range(3):
        commit_file(src, "f.txt", f"v{n} {token(100 + n)}\n", f"c{n}")
    clone = tmp_path / "clones" / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{src}", str(clone))
    ctx = make_ctx(tmp_path, [tmp_path / "clones"])
    located = run(GitSource([tmp_path / "clones"]), ctx, with_profile=False)
    assert {h.location.ref for h in located if h.location.commit} == {"refs/heads/main"}
    (cov,) = ctx.coverage
    assert cov.shallow and cov.errors == [SHALLOW]
    assert [(e.path, e.message) for e in ctx.errors] == [(str(clone), SHALLOW)]


def test_partial_clone_reports_missing_objects_and_never_fetches(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "-q")
    git(src, "config", "uploadpack.allowFilter", "true")
    for n in range(3):
        commit_file(src, f"f{n}.txt", f"v{n} {token(200 + n)}\n", f"c{n}")
    clone = tmp_path / "clones" / "partial"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{src}", str(clone))
    before = tree_digest(clone)
    ctx = make_ctx(tmp_path, [tmp_path / "clones"])
    located = run(GitSource([tmp_path / "clones"]), ctx, with_profile=False)
    assert tree_digest(clone) == before  # nothing was fetched (the source is still there)
    (cov,) = ctx.coverage
    assert cov.partial and cov.missing_objects == 3 and cov.blobs == 0
    assert "partial clone: 3 objects were never downloaded" in cov.errors[0]
    assert located == [] or all(h.hit.origin.blob is None for h in located)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_blob_in_history_is_read_as_text(tmp_path: Path, codec: str) -> None:
    """Windows PowerShell 5 writes UTF-16 (``>``, ``Out-File``); such a file committed and
    removed is text with NULs between its letters, not a binary blob to pass over."""
    repo = tmp_path / "win"
    repo.mkdir()
    git(repo, "init", "-q")
    value = token(200)
    text = f"# settings\r\n$env:GITHUB_TOKEN = '{value}'\r\n"
    (repo / "setenv.ps1").write_bytes(text.encode(codec))
    git(repo, "add", "setenv.ps1")
    git(repo, "commit", "-q", "-m", "env")
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "setenv.ps1")
    git(repo, "commit", "-q", "-m", "remove")
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    found = {
        (h.location.path, h.location.line, h.location.commit)
        for h in located
        if h.hit.redacted.endswith(value[-4:])
    }
    assert found == {(str(repo / "setenv.ps1"), 2, commit)}
    assert ctx.stat("git").counters.get("skipped_binary", 0) == 0


def test_history_counts_are_of_the_refs_once_the_objects_are_read(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    for n in range(3):
        commit_file(repo, f"m{n}.txt", f"module {n}\n", f"c{n}")

    def changing(*args: object, **kwargs: object) -> Iterator[tuple[str, str, bytes]]:
        for n, item in enumerate(iter_objects(*args, **kwargs)):  # type: ignore[arg-type]
            if n == 1:  # the history was counted meanwhile; now the refs change
                time.sleep(0.5)
                for branch in ("b1", "b2", "b3"):
                    git(repo, "branch", branch)
                (repo / "m0.txt").write_text("changed\n")
                git(repo, "stash", "-q")
            yield item

    source = GitSource([tmp_path])
    source.read_objects = changing  # type: ignore[method-assign,assignment]
    ctx = make_ctx(tmp_path)
    list(source.iter_fragments(ctx))
    (cov,) = ctx.coverage
    assert (cov.refs, cov.stashes) == (5, 1)  # main, b1-b3, refs/stash: counted again
