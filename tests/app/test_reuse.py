"""Incremental rescans through the application service: real files, real git, real SQLite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from desktop_audit.app.service import AuditService, ScanOutcome, ScanRequest
from desktop_audit.models import SourceGroup
from desktop_audit.scan import reuse

# Fake credentials in a provider format our rules know (made up; never valid anywhere).
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Q2w"
GITHUB = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
OLD = time.time() - 3600  # far enough in the past not to be "racily clean"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (OLD, OLD))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the fixture have a fresh ctime; only the racy test keeps a window."""
    monkeypatch.setattr(reuse, "RACY_NS", 0)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    _write(home / "project" / ".env", f"STRIPE_KEY={STRIPE}\n")
    for i in range(30):
        _write(home / "notes" / f"n{i}.txt", f"nothing secret here {i}\n")
    repo = home / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "config.py").write_text(f'TOKEN = "{GITHUB}"\n', encoding="utf-8")
    _git(repo, "add", "config.py")
    _git(repo, "commit", "-q", "-m", "add config")
    (repo / "config.py").write_text("TOKEN = None\n", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "remove the token")
    return home


def _scan(service: AuditService, home: Path, *, reuse: bool = True) -> ScanOutcome:
    groups = (SourceGroup.FILES, SourceGroup.GIT)
    return service.scan(ScanRequest(home=home, groups=groups, reuse=reuse))


def _open_ids(outcome: ScanOutcome) -> set[tuple[object, ...]]:
    return {
        (f.rule_id, loc.location.path, loc.location.line, loc.location.ref)
        for f in outcome.findings
        if f.present
        for loc in f.locations
        if loc.present
    }


def _stats(outcome: ScanOutcome, source: str) -> dict[str, int]:
    return outcome.scan.stats.get(source, {})


def test_rescan_reuses_every_unit_and_keeps_every_finding(tmp_path: Path, home: Path) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    assert _stats(first, "files").get("files", 0) >= 31
    assert "reused_files" not in _stats(first, "files")
    second = _scan(service, home)
    assert _stats(second, "files").get("files", 0) == 0, "unchanged files were read again"
    assert _stats(second, "files")["reused_files"] >= 31
    assert _stats(second, "git").get("blobs", 0) == 0, "known blobs were read again"
    assert _stats(second, "git")["reused_objects"] >= 4
    assert _open_ids(second) == _open_ids(first)
    assert {f.rule_id.split(".")[0] for f in second.findings if f.present} >= {"stripe", "github"}


def test_a_changed_file_is_read_again_and_a_removed_secret_is_gone(
    tmp_path: Path, home: Path
) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    stripe = {f.id for f in first.findings if f.rule_id.startswith("stripe.")}
    assert stripe
    _write(home / "project" / ".env", "STRIPE_KEY=\n")
    second = _scan(service, home)
    assert _stats(second, "files")["files"] == 1
    assert not any(f.present for f in second.findings if f.id in stripe)


def test_full_scan_reads_everything_and_a_new_ruleset_forgets(tmp_path: Path, home: Path) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    _scan(service, home)
    full = _scan(service, home, reuse=False)
    assert _stats(full, "files")["files"] >= 31
    assert "reused_files" not in _stats(full, "files")
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("UPDATE reuse SET digest = 'another ruleset'")
    third = _scan(service, home)
    assert _stats(third, "files")["files"] >= 31, "units of another detection digest were trusted"


def test_recently_modified_files_are_not_remembered(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    monkeypatch.setattr(reuse, "RACY_NS", 1_000_000_000)
    time.sleep(1.2)  # the fixture's files are older than the window now
    fresh = home / "notes" / "fresh.txt"
    fresh.write_text("just written\n", encoding="utf-8")
    _scan(service, home)
    second = _scan(service, home)
    assert _stats(second, "files")["files"] == 1  # the racily clean file, read again


def test_the_reuse_table_holds_no_secret_and_names_units_by_digest(
    tmp_path: Path, home: Path
) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    _scan(service, home)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        rows = conn.execute("SELECT unit, hits FROM reuse").fetchall()
    assert len(rows) >= 35
    blob = b"".join(unit + (hits or b"") for unit, hits in rows)
    for needle in (STRIPE, GITHUB, STRIPE[8:20], GITHUB[4:16]):
        assert needle.encode() not in blob
    assert all(len(unit) == 16 for unit, _ in rows)
    assert sum(hits is not None for _, hits in rows) >= 2  # the .env file and the old blob


def _locations(outcome: ScanOutcome) -> set[tuple[object, ...]]:
    return {
        (f.rule_id, loc.location.path, loc.location.commit, loc.location.ref)
        for f in outcome.findings
        for loc in f.locations
        if loc.present
    }


def test_attribution_is_remembered_until_the_refs_change(tmp_path: Path, home: Path) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    second = _scan(service, home)
    assert _stats(second, "git").get("reused_attributions") == 1
    assert _locations(second) == _locations(first)
    assert second.scan.coverage[0]["blobs"] == first.scan.coverage[0]["blobs"]
    repo = home / "repo"  # the same blob (known, not read again) committed at a new path
    _git(repo, "checkout", "-q", "-b", "side")
    (repo / "copy.py").write_text(f'TOKEN = "{GITHUB}"\n', encoding="utf-8")
    _git(repo, "add", "copy.py")
    _git(repo, "commit", "-q", "-m", "copy")
    third = _scan(service, home)
    assert "reused_attributions" not in _stats(third, "git")
    paths = {Path(path).name for _, path, _, _ in _locations(third) if path}
    assert {"config.py", "copy.py"} <= paths
