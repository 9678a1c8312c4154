"""IT's fleet view over a directory of reports: 2 valid, 1 tampered, 1 garbage."""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path

import pytest

from desktop_audit import cli_report
from desktop_audit.app.reports import ReportService
from desktop_audit.report.signing import SigningKey
from desktop_audit.store.keys import KeySource
from tests.report.conftest import Planted


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


@pytest.fixture
def fleet_dir(planted: Planted, tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    planted.reports().create(planted.request(reports / "alice.json"))
    other = SigningKey.from_seed(bytes(range(32)), KeySource.PASSPHRASE)
    bob = ReportService(planted.service, machine=planted.reports().machine, signing_key=other)
    bob.create(planted.request(reports / "bob.json", name="Bob Roe", email="bob@example.org"))
    (reports / "carol.json").write_bytes(
        (reports / "alice.json").read_bytes().replace(b'"status":"open"', b'"status":"removed"')
    )
    (reports / "zz-garbage.json").write_bytes(b"%PDF-1.7 not a report")
    (reports / "notes.txt").write_text("ignored")
    return reports


def test_rows_and_exit_code(fleet_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["fleet", str(fleet_dir)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split()[:2] == ["file", "valid"]
    assert [line.split()[0] for line in lines[1:]] == [
        "alice.json",
        "bob.json",
        "carol.json",
        "zz-garbage.json",
    ]
    assert "4 reports, 2 valid, 2 not valid" in captured.err


def test_csv_summary(fleet_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "summary.csv"
    assert _run(["fleet", str(fleet_dir), "--out", str(out)]) == 1
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert set(rows) == {"alice.json", "bob.json", "carol.json", "zz-garbage.json"}
    alice, bob = rows["alice.json"], rows["bob.json"]
    assert alice["valid"] == bob["valid"] == "yes"
    assert alice["problem"] == ""
    assert alice["name"] == "Jane Doe" and bob["name"] == "Bob Roe"
    assert alice["client"] == "Example Labs"
    assert alice["open_findings"] == "1" and alice["checklist_percent"] == "14"
    assert alice["signer_fingerprint"] != bob["signer_fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{64}", bob["signer_fingerprint"])
    assert alice["last_scan"].endswith("Z")
    assert rows["carol.json"]["valid"] == "no"
    assert rows["carol.json"]["problem"].startswith("content hash mismatch")
    garbage = rows["zz-garbage.json"]
    assert garbage["valid"] == "no" and garbage["problem"].startswith("unreadable")
    assert garbage["name"] == "" and garbage["open_findings"] == ""


def test_html_summary_marks_failures_red(fleet_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "summary.html"
    assert _run(["fleet", str(fleet_dir), "--out", str(out)]) == 1
    page = out.read_text()
    assert page.count('<tr class="invalid">') == 2
    assert page.count('<tr class="valid">') == 2
    assert "tr.invalid td" in page and "#b42318" in page
    assert not re.search(r"(src|href)\s*=|url\(|<script", page, re.I)


def test_pinned_signer_and_all_valid(
    planted: Planted, fleet_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("carol.json", "zz-garbage.json"):
        (fleet_dir / name).unlink()
    assert _run(["fleet", str(fleet_dir)]) == 0
    fingerprint = planted.reports().key().fingerprint
    assert _run(["fleet", str(fleet_dir), "--signer", fingerprint]) == 1
    assert "signer not the pinned one" in capsys.readouterr().out


def test_bad_out_suffix_and_missing_dir(fleet_dir: Path, tmp_path: Path) -> None:
    from desktop_audit.errors import UsageError

    with pytest.raises(UsageError, match=r"\.csv or \.html"):
        _run(["fleet", str(fleet_dir), "--out", str(tmp_path / "summary.xlsx")])
    with pytest.raises(UsageError, match="not a directory"):
        _run(["fleet", str(tmp_path / "nowhere")])
