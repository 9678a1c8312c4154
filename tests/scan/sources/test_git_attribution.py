"""Reading the commit graph for attribution (``git log --raw``), on real repositories."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.git import _Background
from desktop_audit.scan.sources.git_attribution import Attribution, read_graph
from desktop_audit.scan.sources.gitcmd import Git, GitError
from tests.scan.sources.conftest import blob_id, commit_file, git

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
