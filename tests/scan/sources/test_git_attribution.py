"""Reading the commit graph for attribution (``git log --raw``), on real repositories."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.git import _Background
from desktop_audit.scan.sources.git_attribution import (
    Attribution,
    EarlyWalks,
    attribute,
    read_graph,
)
from desktop_audit.scan.sources.gitcmd import Git, GitError
from tests.scan.sources.conftest import blob_id, commit_file, git
from tests.scan.sources.gitrepos import PLACES, build

# Names git stores as they are: a space, non-ASCII, and bytes that look like the log's own
# separators (a commit line starts with \x01, a change with ":").
ODD_NAMES = ["plain.txt", "with space.txt", "naïve.txt", "\x01abc 1 2", "d/:100644 100644 a b M"]


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for index, name in enumerate(ODD_NAMES):
        commit_file(repo, name, f"secret {index}\n", f"add {index}", 1_700_000_000 + index)
    (repo / "plain.txt").unlink()
    git(repo, "commit", "-q", "-am", "delete")
    commit_file(repo, "copy.txt", "secret 0\n", "again", 1_700_000_100)
    return repo


def test_read_graph_finds_introductions_under_odd_names(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    blobs = {blob_id(repo, f"secret {index}\n") for index in range(len(ODD_NAMES))}
    tip = git(repo, "rev-parse", "HEAD").strip().encode()
    graph = read_graph(Git(repo / ".git"), [tip], blobs, CancelToken(), walk=True)

    commits = git(repo, "rev-list", "HEAD").split()
    assert set(graph.parents) == set(commits)
    assert len(graph.parents) == len(ODD_NAMES) + 2
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert graph.parents[first] == ()
    assert graph.times[first] == 1_700_000_000
    for index, name in enumerate(ODD_NAMES):
        places = [path for _commit, path in graph.introduced[blob_id(repo, f"secret {index}\n")]]
        expected = [name, "copy.txt"] if index == 0 else [name]
        assert sorted(places) == sorted(expected)  # the deletion introduces nothing


def test_background_attributions_come_in_order_and_raise_their_errors() -> None:
    made: list[str] = []

    def make(name: str) -> Attribution:
        made.append(name)
        if name == "broken":
            raise GitError("fatal: bad object")
        return Attribution({name: []}, {}, {})

    work = [(Path(name), functools.partial(make, name)) for name in ("a", "broken", "c")]
    results = _Background(work)
    assert results.result(Path("c")).places == {"c": []}  # waits for the ones before it
    with pytest.raises(GitError, match="bad object"):
        results.result(Path("broken"))
    assert results.result(Path("a")).places == {"a": []}
    assert made == ["a", "broken", "c"]
    assert _Background([])._thread is None  # nothing to work out: no thread


def _attributed(repo: Path, blobs: set[str], walks: EarlyWalks | None) -> Attribution:
    early = walks.take(repo) if walks is not None else None
    return attribute(Git(repo / ".git"), blobs, CancelToken(), early=early)


def test_a_first_walk_done_while_objects_are_read_places_every_blob_the_same(
    tmp_path: Path,
) -> None:
    fx = build(tmp_path)  # branches, a tag, remotes, stashes, a reflog, unreachable, dangling
    blobs = {fx.blobs[place] for place in PLACES}
    walks = EarlyWalks(CancelToken())
    walks.start(fx.repo, Git(fx.repo / ".git"))
    assert _attributed(fx.repo, blobs, walks) == _attributed(fx.repo, blobs, None)
    assert walks.take(fx.repo) is None  # taken once


def test_an_early_walk_of_other_refs_is_not_used(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    walks = EarlyWalks(CancelToken())
    walks.start(repo, Git(repo / ".git"))
    early = walks.take(repo)
    assert early is not None
    old_tips = [("refs/heads/x", git(repo, "rev-parse", "HEAD").strip())]
    assert early.output(old_tips) is None  # walked other tips: never parsed for these
    # a commit made after the walk ended: its blob is placed all the same (walked again)
    walks = EarlyWalks(CancelToken())
    walks.start(repo, Git(repo / ".git"))
    stale = walks.take(repo)
    assert stale is not None and stale.output([]) is None  # (waits for the walk to end)
    commit_file(repo, "last.txt", "secret last\n", "last", 1_700_000_300)
    blob = blob_id(repo, "secret last\n")
    found = attribute(Git(repo / ".git"), {blob}, CancelToken(), early=stale)
    assert [(p.inner_path, p.ref) for p in found.places[blob]] == [("last.txt", "refs/heads/main")]


def test_early_walks_beyond_their_memory_budget_are_walked_again_later(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    walks = EarlyWalks(CancelToken(), budget=100)  # far less than the walk's output
    walks.start(repo, Git(repo / ".git"))
    early = walks.take(repo)
    assert early is not None
    blobs = {blob_id(repo, f"secret {index}\n") for index in range(len(ODD_NAMES))}
    found = attribute(Git(repo / ".git"), blobs, CancelToken(), early=early)
    assert early.output([]) is None and found == _attributed(repo, blobs, None)
    assert {p.inner_path for b in blobs for p in found.places[b]} == {*ODD_NAMES, "copy.txt"}
