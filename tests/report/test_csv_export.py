"""CSV export: one row per location, formula cells defused, golden file."""

from __future__ import annotations

import csv
import io

from desktop_audit.report import csv_export
from tests.report.golden_files import check_golden
from tests.report.records import HOME, golden_findings


def test_golden() -> None:
    check_golden("findings.csv", csv_export.to_csv(golden_findings(), HOME))


def test_rows_per_location_and_relative_paths() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_export.to_csv(golden_findings(), HOME))))
    assert [r["finding_id"][:2] for r in rows] == ["0f", "0f", "0f", "1e", "2d", "3c"]
    assert rows[0]["path"] == ".git-credentials"
    assert rows[2]["location_present"] == "false"
    assert rows[4]["path"] == "/etc/hosts"
    assert rows[5]["source"] == ""  # a finding without locations keeps one row
    assert rows[3]["keychain_item"] == "'=aws-cli"  # would be a formula in a spreadsheet
    assert all(r["schema_version"] == "1" for r in rows)


def test_formula_cells_are_defused() -> None:
    for value in ("=1+1", "+cmd", "-2", "@SUM(A1)", "\tx"):
        assert csv_export.safe_cell(value).startswith("'")
    assert csv_export.safe_cell("plain") == "plain"
    assert csv_export.safe_cell(None) == ""
