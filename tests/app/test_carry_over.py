"""A rescan carries an unchanged repository's stored locations over in one step only when
what it would write is exactly what is stored: the same locations (not just as many), placed
the same way (severity by place), attributed to commits. Each case checks the stored result
against a scan into a fresh database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from desktop_audit.app.service import AuditService, ScanRequest
from desktop_audit.models import SourceGroup
from desktop_audit.scan import reuse
from desktop_audit.scan.sources import git as git_source
from desktop_audit.scan.sources.gitcmd import GitError
from tests.app.test_reuse import STRIPE, _git, _stats

GIT_ONLY = (SourceGroup.GIT,)


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reuse, "RACY_NS", 0)


def _present(db: Path) -> set[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return set(
            conn.execute(
                "SELECT l.path, l.line, l.git_commit, l.ref, f.rule_id, f.severity"
                " FROM locations l JOIN findings f ON f.id = l.finding_id"
                " WHERE l.present = 1 AND l.source = 'git-history'"
            )
        )


def _fresh(tmp_path: Path, request: ScanRequest) -> set[tuple[object, ...]]:
    db = tmp_path / "fresh.db"
    AuditService(db_path=db).scan(request)
    return _present(db)


def _commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)


def test_as_many_other_locations_are_not_carried_over(tmp_path: Path) -> None:
    """A pass that kept no snapshot (the repository shared its blobs with a clone read first)
    moves the secret's only location from a tag to a branch; once the repository is back as
    the snapshot saw it, the same number of locations is present, but not the same ones."""
    home = tmp_path / "home"
    repo = home / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "a.txt", "hello\n", "base")
    _git(repo, "checkout", "-q", "-b", "side")
    _commit(repo, "config.py", f'TOKEN = "{STRIPE}"\n', "secret")
    _git(repo, "tag", "v1")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "branch", "-q", "-D", "side")
    service = AuditService(db_path=tmp_path / "audit.db")
    request = ScanRequest(home=home, groups=GIT_ONLY)
    service.scan(request)
    first = _present(tmp_path / "audit.db")
    _git(home, "clone", "-q", "--no-local", str(repo), str(home / "a-clone"))
    _git(repo, "branch", "tmp", "v1")
    assert _stats(service.scan(request), "git")["shared_blobs"] >= 1
    shutil.rmtree(home / "a-clone")
    _git(repo, "branch", "-q", "-D", "tmp")
    third = service.scan(request)
    assert "carried_locations" not in _stats(third, "git")
    assert _present(tmp_path / "audit.db") == first == _fresh(tmp_path, request)
    fourth = service.scan(request)  # the replay kept the snapshot again: carried from now on
    assert _stats(fourth, "git")["carried_locations"] == len(first)
    assert _present(tmp_path / "audit.db") == first


def test_hits_that_could_not_be_attributed_are_placed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass whose attribution failed places its hits without commits; the next scan must
    not carry those over but attribute them."""
    home = tmp_path / "home"
    repo = home / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "config.py", f'TOKEN = "{STRIPE}"\n', "secret")
    service = AuditService(db_path=tmp_path / "audit.db")
    request = ScanRequest(home=home, groups=GIT_ONLY)
    working = git_source.attribute

    def failing(*_args: object, **_kwargs: object) -> object:
        raise GitError("git log: killed")

    monkeypatch.setattr(git_source, "attribute", failing)
    first = service.scan(request)
    assert any("attribute" in e.message for e in first.scan.errors)
    assert {row[2] for row in _present(tmp_path / "audit.db")} == {None}
    monkeypatch.setattr(git_source, "attribute", working)
    second = service.scan(request)
    assert "carried_locations" not in _stats(second, "git")
    assert _present(tmp_path / "audit.db") == _fresh(tmp_path, request)
    assert None not in {row[2] for row in _present(tmp_path / "audit.db")}


def test_a_changed_place_is_judged_again(tmp_path: Path) -> None:
    """Severity by place depends on the repositories around this one: a repository inside a
    folder of another repository's tests is capped; once that folder is no longer in a
    repository, the rescan must give the finding its full severity, not carry it over."""
    home = tmp_path / "home"
    outer = home / "work"
    outer.mkdir(parents=True)
    _git(outer, "init", "-q", "-b", "main")
    repo = outer / "integration-tests" / "r"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "config.py", f'TOKEN = "{STRIPE}"\n', "add")
    _commit(repo, "config.py", "TOKEN = None\n", "remove")
    service = AuditService(db_path=tmp_path / "audit.db")
    request = ScanRequest(home=home, groups=GIT_ONLY)
    service.scan(request)
    capped = {row[5] for row in _present(tmp_path / "audit.db")}
    shutil.rmtree(outer / ".git")
    second = service.scan(request)
    assert "carried_locations" not in _stats(second, "git")
    judged = _present(tmp_path / "audit.db")
    assert judged == _fresh(tmp_path, request)
    assert {row[5] for row in judged} != capped


def test_checking_out_another_branch_places_the_hits_again(tmp_path: Path) -> None:
    """Attribution names the checked-out branch first: a checkout of another branch at the
    same commit changes no ref or object, but must not leave the old branch's name."""
    home = tmp_path / "home"
    repo = home / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "config.py", f'TOKEN = "{STRIPE}"\n', "secret")
    _git(repo, "branch", "dev")
    service = AuditService(db_path=tmp_path / "audit.db")
    request = ScanRequest(home=home, groups=GIT_ONLY)
    service.scan(request)
    _git(repo, "checkout", "-q", "dev")
    service.scan(request)
    assert _present(tmp_path / "audit.db") == _fresh(tmp_path, request)
