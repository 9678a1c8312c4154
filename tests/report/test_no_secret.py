"""No export holds a secret: only the store's redacted previews and keyed hashes appear."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
from pathlib import Path

import pytest

from desktop_audit.app.reports import export_findings
from tests.report.conftest import Planted


def _pdf_text(path: Path) -> str:
    try:
        done = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
        )
    except FileNotFoundError:
        pytest.skip("pdftotext not installed")
    return done.stdout


def test_the_secret_behind_match_hash_appears_nowhere(planted: Planted, tmp_path: Path) -> None:
    out, pdf, page = tmp_path / "r.json", tmp_path / "r.pdf", tmp_path / "r.html"
    planted.reports().create(planted.request(out, pdf=pdf, html=page))
    findings = planted.service.findings()
    home = str(planted.home)
    salt = planted.salt.hex()
    texts = {
        "json": out.read_text(encoding="utf-8"),
        "html": page.read_text(encoding="utf-8"),
        "pdf": _pdf_text(pdf),
        "pdf-bytes": pdf.read_bytes().decode("latin-1"),
        "sarif": export_findings("sarif", findings, home, salt),
        "csv": export_findings("csv", findings, home, salt),
    }
    secret = planted.secret
    [finding] = [f for f in findings if f.id == planted.secret_finding]
    # the issuer's check works: the report's salt and the secret give the stored match_hash
    expected = hmac.new(planted.salt, secret.encode(), hashlib.sha256).hexdigest()
    assert finding.match_hash == expected
    assert finding.redacted == "ghp_…" + secret[-4:]
    for name, text in texts.items():
        assert secret not in text, name
        assert secret[4:20] not in text, name  # not even a middle part
        if name not in ("pdf-bytes",):
            assert finding.redacted in text or finding.redacted.replace("…", "...") in text, name
    for name in ("json", "sarif", "csv"):
        assert expected in texts[name], name


def test_an_issuer_finds_its_credential_by_match_hash(planted: Planted, tmp_path: Path) -> None:
    """The docs' recipe: HMAC each issued credential with the report's salt, look it up."""
    import json

    out = tmp_path / "r.json"
    planted.reports().create(planted.request(out))
    content = json.loads(out.read_text())["attestation"]
    salt = bytes.fromhex(content["match_salt"])
    issued = {"ci-deploy": planted.secret, "unrelated": "ghp_" + "x" * 36}
    mine = {hmac.new(salt, t.encode(), hashlib.sha256).hexdigest(): n for n, t in issued.items()}
    found = [
        (mine[f["match_hash"]], f["status"]) for f in content["findings"] if f["match_hash"] in mine
    ]
    assert found == [("ci-deploy", "open")]
