"""Incremental rescans through the application service: real files, real git, real SQLite."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from fpdf import FPDF

from desktop_audit.app import service as service_module
from desktop_audit.app.service import AuditService, ScanOutcome, ScanRequest
from desktop_audit.models import SourceGroup, SourceKind
from desktop_audit.scan import reuse
from desktop_audit.scan.sources.git_snapshot import store_stamp
from desktop_audit.scan.sources.pdf_reader import PdfReader
from desktop_audit.scan.sources.reading import SkipFile
from tests.packed import zip_bytes

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


def test_a_changed_dotfile_catalogue_forgets(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue's formats decide decoders and store filters: part of the digest."""
    service = AuditService(db_path=tmp_path / "audit.db")
    _scan(service, home)
    real = service_module.resource_path
    edited = tmp_path / "dotfiles.toml"
    edited.write_bytes(real("dotfiles.toml").read_bytes() + b"\n# edited\n")

    def resource_path(*parts: str) -> Path:
        return edited if parts == ("dotfiles.toml",) else real(*parts)

    monkeypatch.setattr(service_module, "resource_path", resource_path)
    second = _scan(service, home)
    assert _stats(second, "files")["files"] >= 31, "units of another catalogue were trusted"


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


def _mark_one_location_gone(db: Path) -> None:
    """Change a stored git location behind the snapshot's back (a rescan cannot carry the
    repository's locations over, and places its remembered hits again)."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE locations SET present = 0 WHERE id = (SELECT MIN(id) FROM locations"
            " WHERE source = 'git-history')"
        )


def test_attribution_is_remembered_until_the_refs_change(tmp_path: Path, home: Path) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    _mark_one_location_gone(tmp_path / "audit.db")
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


def _landing_in(objects: Path, template: str) -> bytes:
    """Content whose loose object goes to a fan-out directory that already exists."""
    existing = {d.name for d in objects.iterdir() if len(d.name) == 2}
    for n in range(100_000):
        content = template.format(n).encode()
        sha = hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest()  # noqa: S324
        if sha[:2] in existing:
            return content
    raise AssertionError("no content for an existing fan-out directory")


def _stripe_in_history(outcome: ScanOutcome) -> bool:
    """A Stripe key found in git history (the fixture's .env holds one too)."""
    return any(
        loc.location.source is SourceKind.GIT_HISTORY and loc.present
        for f in outcome.findings
        if f.rule_id.startswith("stripe.")
        for loc in f.locations
    )


def _slot_rows(db: Path, start: bytes) -> list[bytes]:
    """Stored per-repository slots (a 64-hex state line, then JSON starting with ``start``)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT hits FROM reuse WHERE hits IS NOT NULL").fetchall()
    return [hits for (hits,) in rows if hits[64:65] == b"\n" and hits[65:].startswith(start)]


def _snapshot_rows(db: Path) -> list[bytes]:
    return _slot_rows(db, b'{"blobs"')


def test_an_unchanged_repository_is_not_listed_again(tmp_path: Path, home: Path) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    assert "reused_repositories" not in _stats(first, "git")
    second = _scan(service, home)
    git = _stats(second, "git")
    assert git.get("reused_repositories") == 1
    assert git["reused_objects"] == first.scan.coverage[0]["objects"]
    assert "blobs" not in git, "an unchanged repository was read again"
    assert _locations(second) == _locations(first)
    assert _open_ids(second) == _open_ids(first)
    keys = ("objects", "blobs", "bytes", "commits", "errors", "refs")
    assert {k: second.scan.coverage[0][k] for k in keys} == {
        k: first.scan.coverage[0][k] for k in keys
    }
    assert len(_snapshot_rows(tmp_path / "audit.db")) == 1


def _history_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT identity, last_seen_scan, present, unit FROM locations"
            " WHERE source = 'git-history' ORDER BY identity"
        ).fetchall()


def test_an_unchanged_repository_s_locations_are_carried_over(tmp_path: Path, home: Path) -> None:
    """The store marks the repository's stored locations seen in one step: the same rows,
    now last seen by the rescan, and nothing decoded, placed or written one by one."""
    db = tmp_path / "audit.db"
    service = AuditService(db_path=db)
    first = _scan(service, home)
    before = _history_rows(db)
    assert before and all(unit == str(home / "repo") for *_, unit in before)
    second = _scan(service, home)
    after = _history_rows(db)
    assert _stats(second, "git")["carried_locations"] == len(before)
    assert [row[0] for row in after] == [row[0] for row in before]
    assert {row[1] for row in after} == {second.scan.id}
    assert all(row[2] == 1 for row in after)
    assert _locations(second) == _locations(first)
    assert _open_ids(second) == _open_ids(first)
    assert second.new_findings == 0


def test_locations_changed_behind_the_snapshot_are_written_again(
    tmp_path: Path, home: Path
) -> None:
    """When the stored rows are not the ones the snapshot's pass wrote (one marked gone
    here), nothing is carried over: the remembered hits are placed and written as before."""
    db = tmp_path / "audit.db"
    service = AuditService(db_path=db)
    first = _scan(service, home)
    _mark_one_location_gone(db)
    second = _scan(service, home)
    assert "carried_locations" not in _stats(second, "git")
    assert _stats(second, "git")["reused_repositories"] == 1
    assert _locations(second) == _locations(first)
    assert all(row[2] == 1 for row in _history_rows(db))


def test_a_scan_of_other_roots_places_the_hits_again(tmp_path: Path, home: Path) -> None:
    """Severity by place and the scope of absence depend on the home and roots: a snapshot
    taken under others is replayed, not carried over."""
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    groups = (SourceGroup.FILES, SourceGroup.GIT)
    request = ScanRequest(home=home, roots=(home / "repo", home / "notes"), groups=groups)
    second = service.scan(request)
    assert _stats(second, "git")["reused_repositories"] == 1
    assert "carried_locations" not in _stats(second, "git")
    assert _locations(second) == {
        loc for loc in _locations(first) if loc[1] and str(loc[1]).startswith(str(home / "repo"))
    }


@pytest.mark.parametrize("change", ["commit", "dangling object", "new ref", "gc"])
def test_a_changed_repository_is_listed_again(tmp_path: Path, home: Path, change: str) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    _scan(service, home)
    repo = home / "repo"
    new_secret = "sk_live_" + "Zr8Qm2Kx7Wc4Np9Lb3Vt6Hd1"
    if change == "commit":
        (repo / "later.py").write_text(f'KEY = "{new_secret}"\n', encoding="utf-8")
        _git(repo, "add", "later.py")
        _git(repo, "commit", "-q", "-m", "later")
    elif change == "dangling object":  # written to the store, named by no ref or reflog
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=repo,
            input=f'KEY = "{new_secret}"\n'.encode(),
            check=True,
            capture_output=True,
        )
    elif change == "new ref":
        _git(repo, "tag", "v1", "HEAD~1")
    else:
        _git(repo, "gc", "-q")
    second = _scan(service, home)
    assert "reused_repositories" not in _stats(second, "git")
    if change in ("commit", "dangling object"):
        assert _stats(second, "git")["blobs"] >= 1
        assert _stripe_in_history(second)
    db = tmp_path / "audit.db"
    assert len(_snapshot_rows(db)) == 1, "the old snapshot was not replaced"
    assert len(_slot_rows(db, b'{"commits"')) == 1, "the old attribution was not replaced"
    assert len(_slot_rows(db, b"[")) == 1, "the old history counts were not replaced"
    third = _scan(service, home)
    assert _stats(third, "git").get("reused_repositories") == 1
    assert _open_ids(third) == _open_ids(second)


def test_a_new_object_is_noticed_even_where_directory_times_do_not_change(
    tmp_path: Path, home: Path
) -> None:
    service = AuditService(db_path=tmp_path / "audit.db")
    _scan(service, home)
    objects = home / "repo" / ".git" / "objects"
    times = {d: d.stat() for d in objects.iterdir()}
    content = _landing_in(objects, 'KEY = "sk_live_' + 'Qw3Er5Ty7Ui9Op1As3Df5Gh7"  # {}\n')
    subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=home / "repo",
        input=content,
        check=True,
        capture_output=True,
    )
    for directory in objects.iterdir():  # a file system with coarse or lazy directory times
        old = times.get(directory)
        if old is not None:
            os.utime(directory, ns=(old.st_atime_ns, old.st_mtime_ns))
    second = _scan(service, home)
    assert "reused_repositories" not in _stats(second, "git")
    assert _stripe_in_history(second)


def test_clones_sharing_objects_keep_their_findings(tmp_path: Path, home: Path) -> None:
    _git(home, "clone", "-q", "--no-local", str(home / "repo"), str(home / "clone"))
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    assert _stats(first, "git")["shared_blobs"] >= 1
    second = _scan(service, home)
    third = _scan(service, home)
    assert _stats(third, "git").get("reused_repositories", 0) >= 1
    for later in (second, third):
        assert _locations(later) == _locations(first)
        clone_paths = {p for _, p, _, _ in _locations(later) if p and "/clone/" in p}
        assert clone_paths, "the clone's history lost its findings"


def test_a_repository_with_alternates_is_always_listed(tmp_path: Path, home: Path) -> None:
    _git(home, "clone", "-q", "--shared", str(home / "repo"), str(home / "borrower"))
    assert store_stamp(home / "borrower" / ".git") is None  # its objects live elsewhere
    assert store_stamp(home / "repo" / ".git") is not None
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    second = _scan(service, home)
    assert _stats(second, "git")["repos"] == 2
    assert _locations(second) == _locations(first)
    assert any("/borrower/" in (p or "") for _, p, _, _ in _locations(second))


def test_a_cancelled_scan_leaves_no_snapshot(tmp_path: Path, home: Path) -> None:
    from desktop_audit.progress import CancelToken, ProgressEvent

    service = AuditService(db_path=tmp_path / "audit.db")
    cancel = CancelToken()

    def stop_after_reading(event: ProgressEvent) -> None:
        if event.source == "git" and event.finished:  # read, not yet attributed
            cancel.cancel()

    request = ScanRequest(home=home, groups=(SourceGroup.GIT,), reuse=True)
    outcome = service.scan(request, progress=stop_after_reading, cancel=cancel)
    assert outcome.scan.coverage[0]["objects"] >= 4  # the repository was read
    assert _snapshot_rows(tmp_path / "audit.db") == []


def test_a_container_blob_is_remembered_with_its_member_locations(
    tmp_path: Path, home: Path
) -> None:
    """A zip committed and removed: its hits are remembered per blob, and the member stays
    part of the location when a changed repository is read again around it."""
    repo = home / "repo"
    (repo / "backup.zip").write_bytes(zip_bytes({"app/.env": f"# app\nSTRIPE_KEY={STRIPE}\n"}))
    _git(repo, "add", "backup.zip")
    _git(repo, "commit", "-q", "-m", "backup")
    _git(repo, "rm", "-q", "backup.zip")
    _git(repo, "commit", "-q", "-m", "remove the backup")
    service = AuditService(db_path=tmp_path / "audit.db")
    member = str(repo / "backup.zip" / "app" / ".env")
    first = _scan(service, home)
    assert (member, 2) in {(p, line) for _r, p, line, _ref in _open_ids(first)}
    assert _stats(first, "git")["containers"] == 1
    _write(repo / "later.txt", "nothing\n")
    _git(repo, "add", "later.txt")
    _git(repo, "commit", "-q", "-m", "later")
    second = _scan(service, home)
    assert "containers" not in _stats(second, "git"), "the zip was read again"
    assert _open_ids(second) == _open_ids(first)


def _pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, text)
    return bytes(pdf.output())


def test_a_pdf_that_failed_to_read_is_read_again_next_scan(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PDFium timing out under load (injected: the child's answer is a timeout) must not
    leave the PDF unread for good: neither the blob nor the repository is remembered."""
    repo = home / "repo"
    (repo / "notes.pdf").write_bytes(_pdf_bytes(f"token {GITHUB}"))
    _git(repo, "add", "notes.pdf")
    _git(repo, "commit", "-q", "-m", "notes")
    _git(repo, "rm", "-q", "notes.pdf")
    _git(repo, "commit", "-q", "-m", "remove the notes")
    service = AuditService(db_path=tmp_path / "audit.db")
    real = PdfReader.pages

    def timed_out(self: PdfReader, data: bytes, stop: object = None) -> list[tuple[int, bytes]]:
        raise SkipFile("PDF took too long to read, skipped", counter="unreadable", transient=True)

    monkeypatch.setattr(PdfReader, "pages", timed_out)
    first = _scan(service, home)
    assert _stats(first, "git")["containers_unreadable"] == 1
    monkeypatch.setattr(PdfReader, "pages", real)
    second = _scan(service, home)
    assert "reused_repositories" not in _stats(second, "git")
    assert _stats(second, "git")["containers"] == 1
    assert any("notes.pdf" in str(path) for _r, path, _l, _ref in _open_ids(second))


def test_a_pdf_that_cannot_be_read_does_not_keep_its_repository_unsettled(
    tmp_path: Path, home: Path
) -> None:
    """A password-protected PDF fails the same way every time: the repository is still
    remembered as read (only timeouts and crashes are tried again)."""
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-pw-1", user_password="user-pw-1")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, "locked")
    repo = home / "repo"
    (repo / "locked.pdf").write_bytes(bytes(pdf.output()))
    _git(repo, "add", "locked.pdf")
    _git(repo, "commit", "-q", "-m", "locked")
    service = AuditService(db_path=tmp_path / "audit.db")
    first = _scan(service, home)
    assert _stats(first, "git")["containers_unreadable"] == 1
    second = _scan(service, home)
    assert _stats(second, "git").get("reused_repositories") == 1
