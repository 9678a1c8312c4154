"""The git source on real repositories: discovery, every blob once, attribution to refs."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from desktop_audit.models import (
    FindingKind,
    Fragment,
    Hit,
    Location,
    Severity,
    SourceKind,
)
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.git import GitSource
from tests.corpus import LEAKY_BUNDLE
from tests.scan.sources.conftest import check, collect, git, make_ctx, tree_digest
from tests.scan.sources.gitrepos import PLACES, Fixture, all_blobs, build

BUNDLE = LEAKY_BUNDLE


def hit_for(fragment: Fragment, line: int = 1) -> Hit:
    return Hit(
        finding_id="f",
        rule_id="test.fake",
        provider="test",
        kind=FindingKind.CREDENTIAL,
        severity=Severity.HIGH,
        redacted="FAKE…",
        match_hash="0" * 64,
        guide="test",
        origin=fragment.origin,
        line=line,
    )


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("gitroot"))


@pytest.fixture(scope="module")
def scanned(fixture: Fixture) -> tuple[GitSource, list[Fragment], object]:
    ctx = make_ctx(fixture.root)
    source = GitSource([fixture.root])
    return source, collect(source, ctx), ctx


def test_discovery_finds_each_object_store_once(fixture: Fixture, scanned: tuple) -> None:
    source, _fragments, ctx = scanned
    repos = source.repositories
    assert set(repos) == {
        fixture.repo,
        fixture.bare,
        fixture.repo / "vendor-lib",
        fixture.submodule_src,
    }
    assert repos[fixture.repo].work_trees == [fixture.repo, fixture.worktree]
    assert repos[fixture.bare].bare
    assert (
        repos[fixture.repo / "vendor-lib"].git_dir
        == fixture.repo / ".git" / "modules" / "vendor-lib"
    )
    assert ctx.stat("git").counters["repos"] == 4
    assert ctx.errors == []


def test_every_blob_is_yielded_once_per_scan(fixture: Fixture, scanned: tuple) -> None:
    """Clones share blobs: each is read from the first repository holding it, never twice."""
    _source, fragments, ctx = scanned
    history = [f for f in fragments if f.origin.source is SourceKind.GIT_HISTORY]
    blobs = [f.origin.blob for f in history if f.origin.blob]
    assert len(blobs) == len(set(blobs))
    assert set(blobs) >= all_blobs(fixture.repo / ".git")
    assert set(PLACES) <= {p for p, b in fixture.blobs.items() if b in set(blobs)}
    counters = ctx.stat("git").counters
    assert counters["blobs"] == len(blobs)
    assert counters["bytes"] == sum(len(f.data) for f in history if f.origin.blob)
    assert counters["commits"] > 10
    assert counters["shared_blobs"] > 10  # the bare clone's blobs were read once


def test_config_and_untracked_work_tree_files(fixture: Fixture, scanned: tuple) -> None:
    _source, fragments, ctx = scanned
    configs = [f for f in fragments if f.origin.source is SourceKind.GIT_CONFIG]
    main_config = next(f for f in configs if f.origin.path == fixture.repo / ".git" / "config")
    check(b"CONFIG_FAKE_TOKEN" in main_config.data, "remote URL with credentials not yielded")
    worktree = {
        (f.origin.path, f.origin.inner_path) for f in fragments
        if f.origin.source is SourceKind.GIT_WORKTREE
    }  # fmt: skip
    assert worktree == {
        (fixture.repo, "creds.local"),
        (fixture.repo, "todo.txt"),
        (fixture.worktree, ".env"),
    }
    assert fixture.repo / "creds.local" in ctx.claimed_paths
    # the files source, after git, reads tracked files but not the claimed untracked ones
    rest = {f.origin.path for f in collect(FilesSource([fixture.root]), ctx)}
    assert fixture.repo / "config.py" in rest
    assert fixture.repo / "creds.local" not in rest
    assert not any(".git" in p.parts for p in rest)


def locate_places(source: GitSource, fragments: list[Fragment], fixture: Fixture) -> dict:
    ctx = make_ctx(fixture.root)
    by_blob = {
        f.origin.blob: f for f in fragments
        if f.origin.source is SourceKind.GIT_HISTORY and f.origin.blob
    }  # fmt: skip
    hits = [hit_for(by_blob[fixture.blobs[place]]) for place in PLACES]
    located: dict[str, list[Location]] = {}
    repo = str(fixture.repo)
    for item in source.locate(hits, ctx):
        path = item.location.path or ""
        if path != repo and not path.startswith(repo + "/"):
            continue  # the same blob in the bare clone
        place = next(p for p, b in fixture.blobs.items() if b == item.hit.origin.blob)
        located.setdefault(place, []).append(item.location)
    assert ctx.errors == []
    return located


def test_locate_names_the_ref_kind_commit_and_path(fixture: Fixture, scanned: tuple) -> None:
    source, fragments, _ctx = scanned
    located = locate_places(source, fragments, fixture)
    repo = str(fixture.repo)

    def first(place: str) -> tuple[str | None, str | None, str | None]:
        loc = located[place][0]
        assert loc.source is SourceKind.GIT_HISTORY and loc.line == 1
        return loc.path, loc.commit, loc.ref

    assert first("main") == (f"{repo}/config.py", fixture.commits["main"], "refs/heads/main")
    assert first("feature") == (
        f"{repo}/feature.env",
        fixture.commits["feature"],
        "refs/heads/feature",
    )
    assert first("tag") == (f"{repo}/release.cfg", fixture.commits["tag"], "refs/tags/v-only")
    assert first("remote") == (
        f"{repo}/remote.cfg",
        fixture.commits["remote"],
        "refs/remotes/origin/gone",
    )
    assert first("original") == (
        f"{repo}/orig.cfg",
        fixture.commits["original"],
        "refs/original/refs/heads/main",
    )
    assert first("reflog") == (f"{repo}/tmp.txt", fixture.commits["reflog"], "reflog")
    assert first("unreachable") == (
        f"{repo}/leak.txt",
        fixture.commits["unreachable"],
        "unreachable",
    )
    assert first("dangling") == (repo, None, "unreachable")
    note_path, _commit, note_ref = first("note")
    assert note_ref == "refs/notes/commits" and note_path.startswith(repo + "/")
    for place, rel in (
        ("stash_old", "config.py"),
        ("stash_new", "config.py"),
        ("stash_index", "staged.txt"),
        ("stash_untracked", "scratch.txt"),
    ):
        path, commit, ref = first(place)
        assert (path, ref) == (f"{repo}/{rel}", "stash"), place
        assert commit is not None


def test_non_blob_hits_keep_their_own_location(fixture: Fixture, scanned: tuple) -> None:
    source, fragments, _ctx = scanned
    config = next(f for f in fragments if f.origin.source is SourceKind.GIT_CONFIG)
    worktree = next(f for f in fragments if f.origin.source is SourceKind.GIT_WORKTREE)
    located = list(
        source.locate([hit_for(config, 7), hit_for(worktree, 1)], make_ctx(fixture.root))
    )
    assert located[0].location.path == str(config.origin.path)
    assert located[0].location.line == 7
    assert located[1].location.path == str(worktree.origin.path / str(worktree.origin.inner_path))


def test_scan_and_locate_change_nothing_on_disk(tmp_path: Path) -> None:
    fx = build(tmp_path)
    before = tree_digest(tmp_path)
    source = GitSource([tmp_path])
    fragments = collect(source, make_ctx(tmp_path))
    locate_places(source, fragments, fx)
    assert tree_digest(tmp_path) == before


def test_malicious_repository_config_runs_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "evil"
    repo.mkdir()
    git(repo, "init", "-q")
    marker = tmp_path / "PWNED"
    script = tmp_path / "payload.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    script.chmod(0o755)
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (repo / "a.txt").write_text("EVIL_FAKE_SECRET\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "a.txt").write_text("EVIL_FAKE_SECRET changed\n")
    (repo / "untracked.txt").write_text("x\n")
    settings = {
        "core.fsmonitor": str(script),
        "core.pager": str(script),
        "pager.log": str(script),
        "core.sshCommand": str(script),
        "core.askPass": str(script),
        "core.editor": str(script),
        "core.hooksPath": str(tmp_path / "hooks"),
        "core.alternateRefsCommand": str(script),
        "core.gitProxy": str(script),
        "filter.evil.clean": str(script),
        "filter.evil.smudge": str(script),
        "filter.evil.process": str(script),
        "diff.evil.textconv": str(script),
        "diff.external": str(script),
        "credential.helper": f"!{script}",
        "log.showSignature": "true",
        "gpg.program": str(script),
        "uploadpack.packObjectsHook": str(script),
        "sequence.editor": str(script),
    }
    for key, value in settings.items():
        git(repo, "config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "reference-transaction", "post-index-change",
                 "fsmonitor-watchman", "pre-auto-gc", "post-rewrite"):  # fmt: skip
        (hooks / hook).write_text(script.read_text())
        (hooks / hook).chmod(0o755)
        (repo / ".git" / "hooks" / hook).write_text(script.read_text())
        (repo / ".git" / "hooks" / hook).chmod(0o755)
    source = GitSource([tmp_path])
    ctx = make_ctx(tmp_path)
    fragments = collect(source, ctx)
    blobs = [f for f in fragments if f.origin.source is SourceKind.GIT_HISTORY]
    assert blobs
    list(source.locate([hit_for(f) for f in blobs], ctx))
    assert not marker.exists()
    assert ctx.errors == []


def corrupt_copy(fixture_repo: Path, dest: Path) -> Path:
    shutil.copytree(fixture_repo, dest, symlinks=True)
    return dest


def test_corrupt_repositories_are_one_error_each_and_the_scan_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    git(good, "init", "-q")
    (good / "f.txt").write_text("GOOD_FAKE\n")
    git(good, "add", ".")
    git(good, "commit", "-q", "-m", "x")
    bad_head = corrupt_copy(good, tmp_path / "bad-head")
    (bad_head / ".git" / "HEAD").write_text("garbage garbage\n")
    bad_object = corrupt_copy(good, tmp_path / "bad-object")
    for obj in (bad_object / ".git" / "objects").glob("??/*"):
        obj.chmod(0o644)
        obj.write_bytes(b"not zlib at all")
    packed = corrupt_copy(good, tmp_path / "bad-pack")
    git(packed, "gc", "-q")
    pack = next((packed / ".git" / "objects" / "pack").glob("*.pack"))
    pack.chmod(0o644)
    data = pack.read_bytes()
    pack.write_bytes(data[: len(data) // 2])
    ctx = make_ctx(tmp_path)
    source = GitSource([tmp_path])
    fragments = collect(source, ctx)
    yielded_repos = {f.origin.path for f in fragments if f.origin.source is SourceKind.GIT_HISTORY}
    assert good in yielded_repos
    errors = {Path(e.path).name: e.message for e in ctx.errors if e.path}
    assert set(errors) >= {"bad-object", "bad-pack"}, ctx.errors
    assert "objects read without refs" in errors["bad-head"]
    assert bad_head in yielded_repos  # the intact object store is still read
    for message in errors.values():
        assert "\n" not in message and "FAKE" not in message


def test_cancel_stops_the_blob_stream(fixture: Fixture) -> None:
    ctx = make_ctx(fixture.root)
    seen = 0
    started = time.monotonic()
    for _fragment in GitSource([fixture.root]).iter_fragments(ctx):
        seen += 1
        if seen == 3:
            ctx.cancel.cancel()
    assert seen <= 4
    assert time.monotonic() - started < 5


@pytest.mark.skipif(not BUNDLE.exists(), reason="leaky-repo bundle not present")
def test_leaky_repo_bundle_every_head_blob_is_yielded(tmp_path: Path) -> None:
    clone = tmp_path / "leaky-repo"
    git(tmp_path, "clone", "-q", str(BUNDLE), str(clone))
    git(clone, "branch", "dev", "origin/dev")
    ctx = make_ctx(tmp_path)
    source = GitSource([tmp_path])
    fragments = collect(source, ctx)
    assert list(source.repositories) == [clone]
    yielded = {f.origin.blob for f in fragments if f.origin.source is SourceKind.GIT_HISTORY}
    tree = subprocess.run(
        ["git", "-C", str(clone), "ls-tree", "-r", "-z", "HEAD"], capture_output=True, check=True
    ).stdout
    head_blobs = {}
    for entry in tree.split(b"\0"):
        if entry:
            meta, path = entry.split(b"\t", 1)
            head_blobs[meta.split()[2].decode()] = path.decode()
    binary = {
        sha for sha in head_blobs
        if b"\0" in subprocess.run(
            ["git", "-C", str(clone), "cat-file", "blob", sha], capture_output=True, check=True
        ).stdout[:8192]
    }  # fmt: skip
    missing = {head_blobs[sha] for sha in set(head_blobs) - binary - yielded}
    assert missing == set()
    assert len(head_blobs) - len(binary) >= 40
    netrc = next(sha for sha, path in head_blobs.items() if path == ".netrc")
    fragment = next(f for f in fragments if f.origin.blob == netrc)
    (located,) = [
        item for item in source.locate([hit_for(fragment, 2)], ctx)
        if item.location.ref == "refs/heads/master"
    ]  # fmt: skip
    assert located.location.path == str(clone / ".netrc")
    assert located.location.line == 2


def test_bare_clone_and_its_source_each_place_a_shared_blob(
    fixture: Fixture, scanned: tuple
) -> None:
    """The blob is read once (from whichever store came first) and located in both."""
    source, fragments, _ctx = scanned
    (fragment,) = [f for f in fragments if f.origin.blob == fixture.blobs["main"]]
    ctx = make_ctx(fixture.root)
    located = {
        (item.location.path, item.location.ref, item.location.commit)
        for item in source.locate([hit_for(fragment, 1)], ctx)
    }
    assert ctx.errors == []
    commit = fixture.commits["main"]
    assert (f"{fixture.bare}/config.py", "refs/heads/main", commit) in located
    assert (f"{fixture.repo}/config.py", "refs/heads/main", commit) in located


@pytest.mark.parametrize("walked_early", [False, True])
def test_sha256_repository_is_read_and_attributed(tmp_path: Path, walked_early: bool) -> None:
    repo = tmp_path / "sha256"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256")
    (repo / "settings.env").write_text("API=placeholder\n", encoding="utf-8")
    git(repo, "add", "settings.env")
    git(repo, "commit", "-q", "-m", "add settings")
    added = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "settings.env")
    git(repo, "commit", "-q", "-m", "remove settings")
    assert len(added) == 64
    source = GitSource([tmp_path])
    if walked_early:
        git(repo, "gc", "-q")
        source.early_walk_after = 0  # attribution's first walk while the objects are read
    fragments = collect(source, make_ctx(tmp_path))
    blobs = [f for f in fragments if f.origin.source is SourceKind.GIT_HISTORY and f.origin.blob]
    assert len(blobs) == 1 and len(blobs[0].origin.blob or "") == 64
    ctx = make_ctx(tmp_path)
    located = list(source.locate([hit_for(blobs[0])], ctx))
    assert {(loc.location.path, loc.location.commit) for loc in located} == {
        (str(repo / "settings.env"), added)
    }
    assert ctx.stat("git").counters.get("early_walks", 0) == int(walked_early)
