"""``desktop-audit report`` end to end through the subcommand handlers."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from desktop_audit import cli_report
from desktop_audit.errors import UsageError
from desktop_audit.report.verify import verify_path
from tests.report.conftest import Planted


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_report_command_writes_verifiable_files(
    planted: Planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(planted.service.database_path)
    planted.service.close()
    out, pdf, page = tmp_path / "r.json", tmp_path / "r.pdf", tmp_path / "r.html"
    argv = ["report", "--db", db, "--out", str(out), "--pdf", str(pdf), "--html", str(page)]
    argv += ["--profile", str(planted.profile), "--name", "Jane Doe"]
    argv += ["--email", "jane@example.org", "--yes"]
    assert _run(argv) == 0
    printed = capsys.readouterr().out
    assert "I, Jane Doe <jane@example.org>" in printed.replace("\n  ", " ")
    assert "signed by" in printed and "INCOMPLETE: 1 open finding" in printed
    assert verify_path(out).valid
    assert pdf.read_bytes().startswith(b"%PDF-") and page.read_text().startswith("<!DOCTYPE")
    again = tmp_path / "again.json"
    assert _run(["report", "--db", db, "--out", str(again), "--statement-confirmed"]) == 0
    assert verify_path(again).valid  # name and e-mail were remembered


def test_report_needs_confirmation_when_not_interactive(planted: Planted, tmp_path: Path) -> None:
    db = str(planted.service.database_path)
    planted.service.close()  # pytest's stdin is not a terminal: no prompt is possible
    argv = ["report", "--db", db, "--out", str(tmp_path / "r.json"), "--name", "J D"]
    with pytest.raises(UsageError, match="--yes"):
        _run([*argv, "--email", "j@example.org"])
    assert not (tmp_path / "r.json").exists()
