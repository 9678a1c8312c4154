"""Building and signing an attestation from a real database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from desktop_audit.errors import UsageError
from desktop_audit.report.attestation import canonical_bytes
from desktop_audit.report.verify import schema_errors, verify_path
from tests.report.conftest import Planted


def test_canonical_bytes_sorted_compact_utf8() -> None:
    assert (
        canonical_bytes({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'.encode()
    )
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_bytes({"x": float("nan")})


def test_report_holds_everything_and_verifies(planted: Planted, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = planted.reports().create(planted.request(out))
    raw = out.read_bytes()
    document = json.loads(raw)
    assert raw == canonical_bytes(document) + b"\n"
    assert schema_errors(document) == []
    content = document["attestation"]
    assert content["schema_version"] == 1
    assert content["person"] == {"name": "Jane Doe", "email": "jane.doe@contractor.example"}
    assert content["machine"]["hostname"] == "build-box-7"
    assert content["profile"]["client"] == "Example Labs"
    assert (
        content["profile"]["sha256"]
        == __import__("hashlib").sha256(planted.profile.read_bytes()).hexdigest()
    )
    assert content["match_salt"] == planted.salt.hex()
    assert content["tool"]["ruleset_digest"] == "d" * 64
    [scan] = content["scans"]
    assert scan["errors"] == 1 and scan["status"] == "complete"
    assert scan["stats"]["git"]["blobs"] == 40
    by_id = {f["id"]: f for f in content["findings"]}
    planted_finding = by_id[planted.secret_finding]
    paths = {loc["path"] for loc in planted_finding["locations"]}
    assert paths == {".git-credentials", "work/app/config.py"}
    assert {f["status"] for f in content["findings"]} == {
        "open",
        "revoked",
        "accepted",
        "false_positive",
    }
    notes = [e["note"] for f in content["findings"] for e in f["history"]]
    assert "deactivated in IAM" in notes
    checklist = {c["id"]: c for c in content["checklist"]}
    assert checklist["vpn"]["done"] is True and checklist["vpn"]["origin"] == "profile"
    assert checklist["revoke-credentials"]["origin"] == "builtin"
    assert checklist["badge"]["done"] is False and checklist["badge"]["answered_at"] is None
    statement = content["statement"]["text"]
    assert "Jane Doe" in statement and "Example Labs" in statement
    assert content["created_at"][:10] in statement
    assert content["signer"]["fingerprint"] == result.fingerprint
    assert verify_path(out).valid
    assert result.summary.open == 1
    assert result.summary.verdict.startswith("INCOMPLETE")


def test_attestation_is_recorded_in_the_store(planted: Planted, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = planted.reports().create(planted.request(out))
    rows = list(planted.service.store.db["attestations"].rows)
    assert len(rows) == 1
    assert rows[0]["id"] == result.attestation_id
    assert rows[0]["sha256"] == result.content_sha256
    assert rows[0]["signer_fingerprint"] == result.fingerprint
    assert rows[0]["path"] == str(out)


def test_person_is_remembered_and_required_once(planted: Planted, tmp_path: Path) -> None:
    reports = planted.reports()
    with pytest.raises(UsageError, match="--name and --email"):
        reports.create(planted.request(tmp_path / "a.json", name=None, email=None))
    reports.create(planted.request(tmp_path / "b.json"))
    reports.create(planted.request(tmp_path / "c.json", name=None, email=None))
    content = json.loads((tmp_path / "c.json").read_text())["attestation"]
    assert content["person"]["email"] == "jane.doe@contractor.example"
    with pytest.raises(UsageError, match="not an e-mail"):
        reports.create(planted.request(tmp_path / "d.json", email="nobody"))


def test_unconfirmed_statement_signs_nothing(planted: Planted, tmp_path: Path) -> None:
    seen: list[str] = []

    def refuse(text: str) -> bool:
        seen.append(text)
        return False

    out = tmp_path / "r.json"
    with pytest.raises(UsageError, match="not confirmed"):
        planted.reports().create(planted.request(out, confirm=refuse))
    assert not out.exists()
    assert "Jane Doe" in seen[0]
    assert list(planted.service.store.db["attestations"].rows) == []


def test_without_profile_the_report_says_so(planted: Planted, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = planted.reports().create(planted.request(out, profile_path=None))
    content = json.loads(out.read_text())["attestation"]
    assert content["profile"] is None
    assert "my client engagements" in content["statement"]["text"]
    assert any("--profile" in n for n in result.notices)
    assert verify_path(out).valid


def test_fingerprint_is_sha256_of_raw_public_key(planted: Planted, tmp_path: Path) -> None:
    import base64
    import hashlib

    out = tmp_path / "r.json"
    planted.reports().create(planted.request(out))
    signature = json.loads(out.read_text())["signature"]
    raw = base64.b64decode(signature["public_key"])
    assert len(raw) == 32
    assert signature["fingerprint"] == hashlib.sha256(raw).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", signature["content_sha256"])
