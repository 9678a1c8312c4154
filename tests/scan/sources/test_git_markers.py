"""The small marker files git keeps (a ``.git`` file, ``HEAD``) are untrusted: a FIFO in their
place is refused at once, never waited on, and the scan goes on with the other repositories.
A reftable repository's HEAD file names nothing, so git is asked what HEAD names."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from desktop_audit.scan.sources.discovery import read_gitfile
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.git_attribution import ref_facts
from desktop_audit.scan.sources.gitcmd import Git
from tests.scan.sources.conftest import commit_file, git, make_ctx


def _repository(repo: Path) -> None:
    """A repository with one commit on ``main``."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "a.txt", "hello\n", "a")


def _finishes(work: object, seconds: float = 20) -> bool:
    """Whether ``work()`` returns within ``seconds`` (a blocked open never would)."""
    done = threading.Event()

    def run() -> None:
        work()  # type: ignore[operator]
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def test_a_fifo_named_dot_git_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".git")
    refused: list[str] = []

    def read() -> None:
        try:
            read_gitfile(tmp_path / ".git")
        except ValueError as exc:
            refused.append(str(exc))

    assert _finishes(read)  # (a regression would hang here, not the whole suite)
    assert refused == ["not a regular file"]


def test_a_scan_goes_past_a_fifo_named_dot_git(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "unpacked").mkdir(parents=True)
    os.mkfifo(home / "unpacked" / ".git")
    _repository(home / "repo")
    ctx = make_ctx(home)
    fragments: list[object] = []
    assert _finishes(lambda: fragments.extend(GitSource([home]).iter_fragments(ctx)))
    assert ctx.stats["git"].counters["repos"] == 1
    assert any(".git" in (e.path or "") and "unreadable" in e.message for e in ctx.errors)


class _ReftableGit(Git):
    """git as a reftable repository answers (git 2.45+ is not installed here): HEAD's file
    is the stub, and git itself says which branch is checked out."""

    def __init__(self, git_dir: Path, branch: str) -> None:
        super().__init__(git_dir)
        self.branch = branch

    def run(self, *args: str, stdin: bytes | None = None, timeout: float = 600) -> bytes:
        del stdin, timeout
        if args[0] == "symbolic-ref":
            return f"refs/heads/{self.branch}\n".encode()
        return b""  # for-each-ref, rev-list: the same refs whatever is checked out


def test_a_reftable_head_stub_is_answered_by_git(tmp_path: Path) -> None:
    """Reftable repositories keep ``ref: refs/heads/.invalid`` in HEAD whatever is checked
    out: the facts then hold git's own answer, so a checkout changes them."""
    git_dir = tmp_path / "repo.git"
    git_dir.mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/.invalid\n", encoding="ascii")
    on_main = ref_facts(_ReftableGit(git_dir, "main"))
    on_dev = ref_facts(_ReftableGit(git_dir, "dev"))
    assert on_main == b"reftable:refs/heads/main\n"
    assert on_dev != on_main


def test_an_ordinary_head_is_read_from_its_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _repository(repo)
    git(repo, "branch", "dev")
    on_main = ref_facts(Git(repo / ".git"))
    git(repo, "checkout", "-q", "dev")
    assert on_main.startswith(b"ref: refs/heads/main\n")
    assert ref_facts(Git(repo / ".git")) != on_main
