"""PDF and HTML renderings: real files, rendered to PNG, text extracted, no external assets."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.report import html, pdf
from desktop_audit.report.signing import group_fingerprint
from tests.report.conftest import Planted

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) not installed",
)


@pytest.fixture
def rendered(planted: Planted, tmp_path: Path) -> dict[str, Any]:
    out, pdf_path, html_path = tmp_path / "r.json", tmp_path / "r.pdf", tmp_path / "r.html"
    planted.reports().create(planted.request(out, pdf=pdf_path, html=html_path))
    return {
        "document": json.loads(out.read_text()),
        "pdf": pdf_path,
        "html": html_path,
        "planted": planted,
    }


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


@needs_poppler
def test_pdf_renders_and_opens_with_the_summary(rendered: dict[str, Any], tmp_path: Path) -> None:
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(rendered["pdf"]), str(prefix)], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pages)
    text = _pdf_text(rendered["pdf"])
    first = text.split("\f")[0]
    for expected in (
        "Offboarding credential attestation",
        "Jane Doe",
        "build-box-7",
        "Example Labs",
        "INCOMPLETE: 1 open finding",
    ):
        assert expected in first
    assert "1 open, 1 revoked, 0 removed, 1 accepted, 1 false positive" in text
    fingerprint = rendered["document"]["signature"]["fingerprint"]
    assert group_fingerprint(fingerprint) in text
    assert "ghp_…" in text  # DejaVu shows the ellipsis of redacted previews
    assert "Client VPN profile removed" in text and "NOT DONE" in text


@needs_poppler
def test_pdf_with_core_fonts_only(rendered: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "core.pdf"
    path.write_bytes(pdf.render(rendered["document"], core_fonts=True))
    text = _pdf_text(path)
    assert "Jane Doe" in text and "ghp_..." in text


def test_html_is_standalone_and_complete(rendered: dict[str, Any]) -> None:
    page = rendered["html"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=|url\(|@import|<script|<link""", page, re.I)
    assert "@media print" in page
    summary_at = page.index("INCOMPLETE: 1 open finding")
    assert summary_at < page.index("<h2>Findings")
    fingerprint = rendered["document"]["signature"]["fingerprint"]
    assert group_fingerprint(fingerprint) in page
    assert "Example Labs" in page and "Jane Doe" in page


def test_html_escapes_everything(rendered: dict[str, Any]) -> None:
    document = rendered["document"]
    document["attestation"]["person"]["name"] = "<img src=x onerror=alert(1)>"
    document["attestation"]["findings"][0]["history"].append(
        {
            "at": "2026-01-01T00:00:00Z",
            "status": "open",
            "actor": "x",
            "note": "</td><script>",
            "scan_id": None,
        }
    )
    page = html.render(document)
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x" in page
