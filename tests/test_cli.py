"""The CLI end to end in real processes: planted secrets found, never leaked, tree untouched."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from desktop_audit.resources import resource_path
from desktop_audit.store import Store
from tests.planted import PlantedHome, build_home, tree_digest

SCHEMA = json.loads(resource_path("schema", "scan.schema.json").read_text())


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Child environment: private data/log dirs under tmp (the keyring stays the real one)."""
    env = dict(os.environ)
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["DESKTOP_AUDIT_DB"] = str(tmp_path / "data" / "audit.db")
    if env.get("DESKTOP_AUDIT_REQUIRE_KEYRING") != "1":
        env.setdefault("DESKTOP_AUDIT_KEY_BACKEND", "passphrase")
        env.setdefault("DESKTOP_AUDIT_PASSPHRASE", "test-suite-passphrase")
    return env


@pytest.fixture
def planted(tmp_path: Path) -> PlantedHome:
    return build_home(tmp_path)


def _match_hash(salt: str, value: str) -> str:
    return hmac.new(bytes.fromhex(salt), value.encode(), hashlib.sha256).hexdigest()


def _scan_json(planted: PlantedHome, env: dict[str, str], *extra: str) -> tuple[dict, str, str]:
    result = run_cli(
        "scan", "--home", str(planted.home), "--no-keychain", "--format", "json", *extra, env=env
    )
    assert result.returncode == 1, result.stderr[-2000:]
    return json.loads(result.stdout), result.stdout, result.stderr


def test_scan_finds_planted_secrets_and_never_leaks_them(
    planted: PlantedHome, cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = tree_digest(planted.home)
    document, stdout, stderr = _scan_json(planted, cli_env)
    jsonschema.validate(document, SCHEMA)
    assert tree_digest(planted.home) == before, "the scan changed the scanned tree"
    (repo,) = document["scan"]["coverage"]["repositories"]
    assert repo["path"] == "work/app"
    assert repo["blobs"] >= 3
    assert document["scan"]["stats"]["git"]["repos"] == 1

    salt = document["scan"]["salt"]
    hashes = {f["match_hash"] for f in document["findings"]}
    for name in ("github", "aws_id", "stripe", "bearer", "deploy_password"):
        found = _match_hash(salt, planted.secrets[name]) in hashes
        assert found, f"planted {name} not found"
    sources = {loc["source"] for f in document["findings"] for loc in f["locations"]}
    assert {"dotfile", "shell-history", "git-history", "git-config"} <= sources
    assert any(
        loc["path"] == ".ssh/id_ed25519" for f in document["findings"] for loc in f["locations"]
    ), "private key not found"
    stripe = next(
        f
        for f in document["findings"]
        if f["match_hash"] == _match_hash(salt, planted.secrets["stripe"])
    )
    history = [loc for loc in stripe["locations"] if loc["source"] == "git-history"]
    assert history and all(loc["commit"] for loc in history)
    assert history[0]["path"] == "work/app/settings.py"

    db = Path(cli_env["DESKTOP_AUDIT_DB"])
    artefacts = [stdout, stderr]
    for path in db.parent.iterdir():
        artefacts.append(path.read_bytes().decode("latin-1"))
    for directory in (tmp_path / "state", tmp_path / "cache"):
        if directory.exists():
            artefacts += [
                p.read_bytes().decode("latin-1") for p in directory.rglob("*") if p.is_file()
            ]
    leaked = [
        i for i, value in enumerate(planted.all_values()) if any(value in a for a in artefacts)
    ]
    assert leaked == [], f"{len(leaked)} planted values leaked"


def test_rescan_keeps_ids_and_statuses_and_marks_removed_copies(
    planted: PlantedHome, cli_env: dict[str, str]
) -> None:
    first, _, _ = _scan_json(planted, cli_env)
    salt = first["scan"]["salt"]
    aws = next(
        f
        for f in first["findings"]
        if f["match_hash"] == _match_hash(salt, planted.secrets["aws_id"])
    )
    resolved = run_cli(
        "resolve",
        aws["id"][:10],
        "--status",
        "revoked",
        "--note",
        "deactivated in IAM",
        env=cli_env,
    )
    assert resolved.returncode == 0, resolved.stderr
    (planted.home / ".aws" / "credentials").unlink()
    second, _, _ = _scan_json(planted, cli_env)
    assert {f["id"] for f in second["findings"]} < {f["id"] for f in first["findings"]} | {
        f["id"] for f in second["findings"]
    }
    listed = run_cli("findings", "--format", "json", env=cli_env)
    assert listed.returncode == 1
    by_id = {f["id"]: f for f in json.loads(listed.stdout)["findings"]}
    assert by_id[aws["id"]]["status"] == "removed"
    assert not by_id[aws["id"]]["present"]
    github = next(
        f
        for f in second["findings"]
        if f["match_hash"] == _match_hash(salt, planted.secrets["github"])
    )
    assert github["id"] in {f["id"] for f in first["findings"]}


def test_resolve_requires_a_note_for_false_positive(
    planted: PlantedHome, cli_env: dict[str, str]
) -> None:
    document, _, _ = _scan_json(planted, cli_env)
    finding_id = document["findings"][0]["id"]
    result = run_cli("resolve", finding_id, "--status", "false_positive", env=cli_env)
    assert result.returncode == 2
    assert "note" in result.stderr
    assert "Traceback" not in result.stderr


def test_resolve_example_values(planted: PlantedHome, cli_env: dict[str, str]) -> None:
    """``--example-values`` marks every open example-grade finding at once; others stay open."""
    (planted.home / "project").mkdir(exist_ok=True)
    (planted.home / "project" / ".env").write_text(
        "CALENDARIFIC_API_KEY=abcdef1234567890abcdef1234567890\n"
    )
    document, _, _ = _scan_json(planted, cli_env)
    info = {f["id"] for f in document["findings"] if f["severity"] == "info"}
    others = {f["id"] for f in document["findings"]} - info
    assert info and others
    result = run_cli(
        "resolve", "--example-values", "--status", "false_positive", "--note", "docs", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    listed = run_cli("findings", "--format", "json", env=cli_env)
    status = {f["id"]: f["status"] for f in json.loads(listed.stdout)["findings"]}
    assert {status[i] for i in info} == {"false_positive"}
    assert {status[i] for i in others} == {"open"}
    nothing = run_cli("resolve", "--status", "revoked", env=cli_env)
    assert nothing.returncode == 2
    assert "--example-values" in nothing.stderr


def test_resolve_records_a_finding_named_twice_once(
    planted: PlantedHome, cli_env: dict[str, str]
) -> None:
    """The same finding by its id and by a prefix of it: one decision, one event."""
    document, _, _ = _scan_json(planted, cli_env)
    first, second = (f["id"] for f in document["findings"][:2])
    result = run_cli("resolve", first, first[:8], second, "--status", "revoked", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2 findings: revoked"), result.stdout
    db = Path(cli_env["DESKTOP_AUDIT_DB"])
    with sqlite3.connect(db) as conn:
        (events,) = conn.execute(
            "SELECT COUNT(*) FROM events WHERE finding_id = ? AND status = 'revoked'", (first,)
        ).fetchone()
    assert events == 1


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing-home", "no such directory"),
        ("garbage-db", "not a desktop-audit database"),
        ("newer-db", "newer desktop-audit"),
        ("bad-profile", "p.toml:4: engagement.surprise: unknown key"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    setup: str, expected: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    args = ["scan", "--home", str(home), "--no-keychain", "--format", "json"]
    db = Path(cli_env["DESKTOP_AUDIT_DB"])
    db.parent.mkdir(parents=True, exist_ok=True)
    if setup == "missing-home":
        args[2] = str(tmp_path / "does-not-exist")
    elif setup == "garbage-db":
        db.write_bytes(b"garbage" * 100)
    elif setup == "newer-db":
        Store.open(db).close()
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 999")
        conn.close()
    elif setup == "bad-profile":
        profile = tmp_path / "p.toml"
        profile.write_text('[engagement]\nclient = "X"\ncontract_id = "1"\nsurprise = 1\n')
        args += ["--profile", str(profile)]
    before = db.read_bytes() if db.exists() else None
    result = run_cli(*args, env=cli_env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0].lower()
    assert "Traceback" not in result.stderr
    if before is not None and setup != "missing-home":
        assert db.read_bytes() == before


def test_ctrl_c_records_a_cancelled_scan_and_keeps_what_was_found(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    home = tmp_path / "big"
    for d in range(60):
        folder = home / f"d{d}"
        folder.mkdir(parents=True)
        for f in range(60):
            (folder / f"f{f}.txt").write_text(("lorem ipsum dolor sit amet " * 40 + "\n") * 40)
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_audit", "scan", "--home", str(home), "--no-keychain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    db = Path(cli_env["DESKTOP_AUDIT_DB"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _scan_running(db):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stopped_at = time.monotonic()
    _out, err = proc.communicate(timeout=60)
    assert time.monotonic() - stopped_at < 5
    assert proc.returncode == 2, err
    assert "cancelled" in err
    assert "Traceback" not in err
    conn = sqlite3.connect(cli_env["DESKTOP_AUDIT_DB"])
    assert conn.execute("SELECT status FROM scans").fetchone()[0] == "cancelled"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def _scan_running(db: Path) -> bool:
    """Whether the scan has started reading (its row exists), so Ctrl-C lands mid-scan."""
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            row = conn.execute("SELECT COUNT(*) FROM scans WHERE status = 'running'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def test_version_and_module_entry_point(cli_env: dict[str, str]) -> None:
    from desktop_audit import __version__

    result = run_cli("--version", env=cli_env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"desktop-audit {__version__}"


def _table_text(width: int, other: dict[str, Any] | None = None, **changes: Any) -> str:
    """The CLI findings table, rendered ``width`` columns wide, of one finding (an SSH key in
    rclone's config, ``changes`` applied) and, with ``other``, of a second one too."""
    from rich.console import Console

    from desktop_audit.models import (
        FindingKind,
        FindingRecord,
        Location,
        LocationRecord,
        Severity,
        SourceKind,
        Status,
    )
    from desktop_audit.terminal import findings_table

    where = Location(SourceKind.DOTFILE, path="/home/u/.config/rclone/rclone.conf", line=4)
    finding = FindingRecord(
        id="355d8508f144aa0011223344556677",
        kind=FindingKind.CREDENTIAL,
        rule_id="ssh.private-key",
        provider="ssh",
        title="SSH private key",
        severity=Severity.CRITICAL,
        status=Status.OPEN,
        redacted="-----BEGIN OPENSSH…",
        match_hash="0" * 64,
        guide="ssh",
        first_seen="2026-12-01T00:00:00Z",
        last_seen="2026-12-01T00:00:00Z",
        present=True,
        locations=(LocationRecord(1, where, True, "", ""),),
    )
    findings = [dataclasses.replace(finding, **changes)]
    if other is not None:
        findings.append(dataclasses.replace(finding, **other))
    console = Console(width=width, record=True)
    console.print(findings_table(findings, "/home/u"))
    return console.export_text()


def test_the_findings_table_keeps_ids_whole_in_a_narrow_terminal() -> None:
    """An id cut over two lines cannot be copied into ``show`` or ``resolve``."""
    text = _table_text(
        80,
        rule_id="aws.secret-access-key",
        provider="aws",
        title="AWS secret access key in a long description that has to wrap somewhere",
        redacted="…cF3D",
        guide="aws",
        other={"id": "1d8476dad3f1bb"},
    )
    assert "355d8508f144" in text and "1d8476dad3f1" in text
    assert "critical" in text and max(len(line) for line in text.splitlines()) <= 80


def test_the_findings_table_keeps_title_and_place_in_a_60_column_terminal() -> None:
    """The columns that never wrap must not squeeze the title and the place out of sight."""
    text = _table_text(60)
    assert "355d8508f144" in text
    assert "SSH" in text
    assert ".con" in text
