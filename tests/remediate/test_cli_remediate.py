"""The remediation subcommands, parsed like cli.py will (register + HANDLERS)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from desktop_audit import cli_remediate
from desktop_audit.app.service import AuditService
from desktop_audit.models import SourceGroup
from tests.remediate.conftest import example, only, scan_into


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="desktop-audit")
    cli_remediate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return cli_remediate.HANDLERS[args.command](args)


@pytest.fixture
def db(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("DESKTOP_AUDIT_KEY_BACKEND", "passphrase")
    monkeypatch.setenv("DESKTOP_AUDIT_PASSPHRASE", "some-test-passphrase")
    path = tmp_path / "cli" / "audit.db"
    line, _ = example("github.pat")
    (home / ".bashrc").write_text(f"a=1\n{line}\n")
    service = AuditService(db_path=path)
    try:
        finding = only(scan_into(service, home, (SourceGroup.DOTFILES,)), "github.pat")
    finally:
        service.close()
    return path, finding.id


def test_guide_clean_undo(
    db: tuple[Path, str], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, finding_id = db
    _, secret = example("github.pat")
    rc = home / ".bashrc"
    before = rc.read_bytes()

    assert run(["guide", finding_id[:8], "--db", str(path)]) == 0
    assert "GitHub" in capsys.readouterr().out

    assert run(["clean", finding_id, "--dry-run", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out
    assert secret.decode() not in out
    assert rc.read_bytes() == before

    assert run(["clean", finding_id, "--yes", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last.startswith("action: ")
    assert secret.decode() not in out
    assert rc.read_text() == "a=1\n"

    assert run(["undo", last.removeprefix("action: "), "--db", str(path)]) == 0
    assert rc.read_bytes() == before


def test_check_requires_online(db: tuple[Path, str]) -> None:
    path, finding_id = db
    with pytest.raises(SystemExit):
        run(["check", finding_id, "--db", str(path)])
