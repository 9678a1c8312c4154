"""File names that are not UTF-8: scanned, stored, shown, cleaned up and restored end to end
(a real home on disk, the real CLI in a child process, a real SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop_audit.pathtext import on_disk, storable
from tests.scan.sources.conftest import git
from tests.test_cli import cli_env  # noqa: F401  (the fixture is used by name)

# Made-up Slack bot token (authenticates nowhere).
TOKEN = "xoxb-" + "2837465019-8374650192837-Qm7ZrT2kWv9XnB4cLp6HsJ1d"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process in a strict UTF-8 locale; output read back byte for byte."""
    done = subprocess.run(
        [sys.executable, "-m", "desktop_audit", *args],
        capture_output=True,
        env={**env, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
        timeout=300,
        check=False,
    )
    out = done.stdout.decode("utf-8", "surrogateescape")
    err = done.stderr.decode("utf-8", "surrogateescape")
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def _latin1_dir(home: Path) -> Path:
    folder = Path(os.fsdecode(bytes(home) + b"/caf\xe9"))  # Latin-1 "café", not UTF-8
    folder.mkdir(parents=True)
    return folder


def test_storable_escapes_only_undecodable_bytes(tmp_path: Path) -> None:
    folder = _latin1_dir(tmp_path)
    assert storable(str(folder)).endswith("/caf\\xe9")
    assert storable("/home/u/café/ünï.txt") == "/home/u/café/ünï.txt"
    assert on_disk(storable(str(folder))) == str(folder)
    assert on_disk("/no/such/caf\\xe9") == "/no/such/caf\\xe9"  # nothing there: as stored


def test_scan_clean_and_undo_a_file_whose_name_is_not_utf8(
    tmp_path: Path,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    home = tmp_path / "home"
    secret_file = _latin1_dir(home) / "notes.txt"
    secret_file.write_text(f"keep this\nslack {TOKEN}\n", encoding="utf-8")
    before = secret_file.read_bytes()

    scan = run_cli("scan", "--home", str(home), "--no-keychain", "--format", "json", env=cli_env)
    assert scan.returncode in (0, 1), scan.stderr
    document = json.loads(scan.stdout)
    (finding,) = document["findings"]
    (location,) = finding["locations"]
    assert location["path"].endswith("caf\\xe9/notes.txt")
    assert TOKEN not in scan.stdout + scan.stderr

    clean = run_cli("clean", finding["id"], "--yes", env=cli_env)
    assert clean.returncode == 0, clean.stderr
    assert secret_file.read_bytes() == b"keep this\n"
    action = clean.stdout.split("action: ")[1].split()[0]

    undo = run_cli("undo", action, env=cli_env)
    assert undo.returncode == 0, undo.stderr
    assert secret_file.read_bytes() == before


def test_storable_never_raises_on_a_stray_surrogate() -> None:
    assert storable("a\udc41b") == "a\\udc41b"  # not an escaped byte (JSON can make these)


def test_repository_under_a_folder_whose_name_is_not_utf8_writes_json(
    tmp_path: Path,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    home = tmp_path / "home"
    repo = _latin1_dir(home) / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "deploy.sh").write_text(f"curl -H 'Authorization: Bearer {TOKEN}'\n")
    git(repo, "add", "deploy.sh")
    git(repo, "commit", "-q", "-m", "deploy")
    out = tmp_path / "scan.json"

    scan = run_cli(
        "scan", "--home", str(home), "--no-keychain", "--format", "json", "--output", str(out),
        env=cli_env,
    )  # fmt: skip
    assert scan.returncode in (0, 1), scan.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    repositories = json.dumps(document["scan"]).count("caf\\\\xe9")
    assert repositories >= 1
    assert document["findings"]
    assert TOKEN not in out.read_text(encoding="utf-8")
