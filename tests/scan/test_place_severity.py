"""Severity by place looks for test directories below the project, not in the path to it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from desktop_audit.models import Origin, Severity, SourceKind
from desktop_audit.scan import engine
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.git import GitSource
from tests import factories
from tests.packed import docx_bytes
from tests.scan.sources.conftest import commit_file, git
from tests.scan.sources.detection import detector

# Made-up keys in a provider format (they authenticate nowhere).
LIVE = 'STRIPE_KEY = "sk_live_' + 'Zr8Qm2Kx7Wc4Np9Lb3Vt6Hd1"\n'
FIXTURE = 'STRIPE_KEY = "sk_live_' + 'Qw3Er5Ty7Ui9Op1As3Df5Gh7"\n'


def _repository(path: Path, files: dict[str, str]) -> Path:
    """A git repository at ``path`` with ``files`` committed, one commit each."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for rel, content in files.items():
        commit_file(path, rel, content, rel)
    return path


def _severities(home: Path, sources: list, roots: tuple[Path, ...] = ()) -> dict:  # type: ignore[type-arg]
    ctx = ScanContext(home=home, roots=roots or (home,))
    out: dict[tuple[SourceKind, str], Severity] = {}
    for located in run_sources(sources, detector(with_profile=False).scan, ctx):
        loc = located.location
        rel = Path(loc.path or "").relative_to(home).as_posix()
        out[(loc.source, rel)] = located.hit.severity
    return out


def test_a_project_named_like_a_test_directory_keeps_its_severity(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _repository(
        home / "work" / "acme-e2e-tests",
        {"deploy/.env": LIVE, "tests/fixtures/stripe.env": FIXTURE},
    )
    loose = home / "notes" / "tests"  # not a repository: the path below the home counts
    loose.mkdir(parents=True)
    (loose / "key.env").write_text(LIVE, encoding="utf-8")

    files = _severities(home, [FilesSource((home,))])
    assert files[(SourceKind.FILE, "work/acme-e2e-tests/deploy/.env")] is Severity.CRITICAL
    assert files[(SourceKind.FILE, "work/acme-e2e-tests/tests/fixtures/stripe.env")] is Severity.LOW
    assert files[(SourceKind.FILE, "notes/tests/key.env")] is Severity.LOW

    history = _severities(home, [GitSource((home,))])
    assert history[(SourceKind.GIT_HISTORY, "work/acme-e2e-tests/deploy/.env")] is Severity.HIGH
    fixture = (SourceKind.GIT_HISTORY, "work/acme-e2e-tests/tests/fixtures/stripe.env")
    assert history[fixture] is Severity.LOW


def test_outside_repositories_only_exact_fixture_names_count(tmp_path: Path) -> None:
    """A user's own folder named with a test word (``test-env``) is not a fixture directory;
    one named ``tests`` or ``docs`` still is; inside a repository test words count too."""
    home = tmp_path / "home"
    for rel in ("test-env/client/app.env", "docs/client/app.env"):
        (home / rel).parent.mkdir(parents=True)
        (home / rel).write_text(LIVE, encoding="utf-8")
    project = home / "work" / "api"
    (project / "integration-tests").mkdir(parents=True)
    git(project, "init", "-q")
    (project / "integration-tests" / "keys.env").write_text(FIXTURE, encoding="utf-8")
    for roots in ((home,), (home / "test-env",)):
        found = _severities(home, [FilesSource(roots)], roots=roots)
        assert found[(SourceKind.FILE, "test-env/client/app.env")] is Severity.CRITICAL
    found = _severities(home, [FilesSource((home,))])
    assert found[(SourceKind.FILE, "docs/client/app.env")] is Severity.LOW
    assert found[(SourceKind.FILE, "work/api/integration-tests/keys.env")] is Severity.LOW


def test_a_fixture_repository_inside_a_project_is_capped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _repository(home / "work" / "app" / "tests" / "fixtures" / "sample-repo", {"config.env": LIVE})
    found = _severities(home, [FilesSource((home,)), GitSource((home,))])
    assert found[(SourceKind.FILE, "work/app/tests/fixtures/sample-repo/config.env")] is (
        Severity.LOW
    )
    history = (SourceKind.GIT_HISTORY, "work/app/tests/fixtures/sample-repo/config.env")
    assert found[history] is Severity.LOW


def test_a_clone_sharing_blobs_is_judged_by_its_own_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    origin = _repository(home / "work" / "acme-api", {"deploy/.env": LIVE})
    git(home / "work", "clone", "-q", "--no-local", str(origin), "acme-e2e-tests")
    history = _severities(home, [GitSource((home,))])
    assert history[(SourceKind.GIT_HISTORY, "work/acme-api/deploy/.env")] is Severity.HIGH
    assert history[(SourceKind.GIT_HISTORY, "work/acme-e2e-tests/deploy/.env")] is Severity.HIGH


def test_a_very_deep_tree_does_not_stop_placing(tmp_path: Path) -> None:
    """Finding a file's project walks up its directories without recursing: with a small
    recursion limit, a 400-level tree would have stopped every finding of the source."""
    home = tmp_path / "home"
    deep = home
    home.mkdir()
    for _ in range(400):
        deep = deep / "d"
        deep.mkdir()
    (deep / "k.env").write_text(LIVE, encoding="utf-8")
    (home / "b").mkdir()
    (home / "b" / ".env").write_text(FIXTURE, encoding="utf-8")
    ctx = ScanContext(home=home, roots=(home,))
    scan = detector(with_profile=False).scan
    limit = sys.getrecursionlimit()
    located = list(run_sources([FilesSource((home,))], scan, ctx))  # warm: rules, imports
    sys.setrecursionlimit(250)
    try:
        ctx = ScanContext(home=home, roots=(home,))
        located = list(run_sources([FilesSource((home,))], scan, ctx))
    finally:
        sys.setrecursionlimit(limit)
    assert len(located) == 2 and not ctx.errors


def test_a_repository_scanned_as_the_root_is_judged_inside(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = _repository(
        home / "work" / "api", {"system_tests_async/keys.env": FIXTURE, "deploy/.env": LIVE}
    )
    roots = (project,)
    found = _severities(home, [GitSource(roots), FilesSource(roots)], roots=roots)
    for source in (SourceKind.GIT_HISTORY, SourceKind.FILE):
        assert found[(source, "work/api/system_tests_async/keys.env")] is Severity.LOW
    assert found[(SourceKind.FILE, "work/api/deploy/.env")] is Severity.CRITICAL


def test_the_home_path_and_nested_checkouts_are_not_judged(tmp_path: Path) -> None:
    home = tmp_path / "test"  # a user called "test": the home's own path never counts
    (home / "work").mkdir(parents=True)
    (home / "stripe.env").write_text(LIVE, encoding="utf-8")
    git(home / "work", "init", "-q")  # a meta-repository holding clones
    inner = home / "work" / "acme-e2e-tests"
    inner.mkdir()
    git(inner, "init", "-q")
    (inner / "deploy").mkdir()
    (inner / "deploy" / ".env").write_text(LIVE, encoding="utf-8")
    (inner / "tests" / "fixtures").mkdir(parents=True)
    (inner / "tests" / "fixtures" / "k.env").write_text(FIXTURE, encoding="utf-8")
    found = _severities(home, [FilesSource((home,))])
    assert found[(SourceKind.FILE, "stripe.env")] is Severity.CRITICAL
    assert found[(SourceKind.FILE, "work/acme-e2e-tests/deploy/.env")] is Severity.CRITICAL
    assert found[(SourceKind.FILE, "work/acme-e2e-tests/tests/fixtures/k.env")] is Severity.LOW


def test_a_commit_message_is_not_judged_by_the_repository_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    repo = _repository(home / "mirrors" / "payments_tests.git", {})  # a name like a test file
    commit_file(repo, "README", "hello\n", f"rotate: {LIVE.strip()}")
    history = _severities(home, [GitSource((home,))])
    assert history[(SourceKind.GIT_HISTORY, "mirrors/payments_tests.git")] is Severity.HIGH


def test_a_document_in_a_docs_folder_keeps_its_severity(tmp_path: Path) -> None:
    """A CSV export in ~/docs and a Word file a client repository keeps in docs/ (committed
    and removed): written documents, not documentation examples."""
    home = tmp_path / "home"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "keys.csv").write_text("name,api key\nbilling," + LIVE.split('"')[1] + "\n")
    repo = _repository(home / "work" / "client", {"README.md": "r\n"})
    (repo / "docs").mkdir()
    (repo / "docs" / "handover.docx").write_bytes(
        docx_bytes(f"<w:p><w:r><w:t>{LIVE}</w:t></w:r></w:p>")
    )
    git(repo, "add", "docs/handover.docx")
    git(repo, "commit", "-q", "-m", "handover")
    git(repo, "rm", "-q", "docs/handover.docx")
    git(repo, "commit", "-q", "-m", "remove")

    files = _severities(home, [FilesSource((home / "docs",))])
    assert files[(SourceKind.FILE, "docs/keys.csv")] is Severity.CRITICAL
    history = _severities(home, [GitSource((home / "work",))])
    member = (SourceKind.GIT_HISTORY, "work/client/docs/handover.docx/word/document.xml")
    assert history[member] is Severity.HIGH


def test_windows_paths_are_judged_like_posix_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows, locations use backslashes: fixture folders are still recognised (run here
    with the separator a Windows build has)."""
    monkeypatch.setattr(engine, "_SEP", "\\")
    home = "C:\\Users\\alex"
    judge = engine._PlaceSeverity(home, [home])

    def judged(path: str) -> Severity:
        hit = factories.make_hit(1, severity=Severity.CRITICAL)
        hit = dataclasses.replace(hit, origin=Origin(SourceKind.FILE, path=Path(path)))
        return judge(factories.located(hit, path)).hit.severity

    assert judged(f"{home}\\notes\\tests\\key.env") is Severity.LOW
    assert judged(f"{home}\\docs\\usage.md") is Severity.LOW
    assert judged(f"{home}\\docs\\accounts.xlsx\\xl\\worksheets\\sheet1.xml") is Severity.CRITICAL
    assert judged(f"{home}\\project\\.env") is Severity.CRITICAL
