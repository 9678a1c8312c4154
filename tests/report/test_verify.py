"""Verification: any change to any byte fails; a pinned signer must match; exit codes."""

from __future__ import annotations

import argparse
import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_audit import cli_report
from desktop_audit.report.attestation import canonical_bytes, document_bytes, sign_content
from desktop_audit.report.signing import SigningKey, group_fingerprint
from desktop_audit.report.verify import Outcome, Problem, verify_bytes, verify_path
from desktop_audit.store.keys import KeySource
from tests.report.conftest import Planted


@pytest.fixture
def report(planted: Planted, tmp_path: Path) -> Path:
    out = tmp_path / "r.json"
    planted.reports().create(planted.request(out))
    return out


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def _rewrite(document: dict[str, Any]) -> bytes:
    return document_bytes(document)


def test_fresh_report_verifies(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = verify_path(report)
    assert result.valid and result.problem is None
    assert _run(["verify", str(report)]) == 0
    out = capsys.readouterr().out
    fingerprint = json.loads(report.read_text())["signature"]["fingerprint"]
    assert out.startswith(f"valid: signed by {group_fingerprint(fingerprint)}")
    assert "5 findings" not in out and "4 findings, 1 open" in out
    assert _run(["verify", str(report), "--signer", fingerprint.upper()]) == 0


CONTENT_EDITS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("status", lambda c: c["findings"][0].update(status="revoked")),
    ("note", lambda c: c["findings"][1]["history"][0].update(note="nothing happened")),
    ("name", lambda c: c["person"].update(name="Someone Else")),
    ("client", lambda c: c["profile"].update(client="Other Corp")),
    ("checklist", lambda c: c["checklist"][2].update(done=True)),
    ("salt", lambda c: c.update(match_salt="00" * 32)),
    ("drop finding", lambda c: c["findings"].pop()),
    ("scan errors", lambda c: c["scans"][0].update(errors=0)),
    ("created_at", lambda c: c.update(created_at="2020-01-01T00:00:00Z")),
    ("location path", lambda c: c["findings"][0]["locations"][0].update(path="elsewhere")),
]


@pytest.mark.parametrize(("label", "edit"), CONTENT_EDITS, ids=[e[0] for e in CONTENT_EDITS])
def test_any_content_change_is_a_content_hash_mismatch(
    report: Path, label: str, edit: Callable[[dict[str, Any]], None]
) -> None:
    document = json.loads(report.read_bytes())
    edit(document["attestation"])
    result = verify_bytes(_rewrite(document))
    assert result.outcome is Outcome.INVALID, label
    assert result.problem is Problem.CONTENT_HASH, result.message


def test_fixing_the_hash_after_an_edit_is_a_signature_mismatch(report: Path) -> None:
    import hashlib

    document = json.loads(report.read_bytes())
    document["attestation"]["findings"][0]["status"] = "removed"
    payload = canonical_bytes(document["attestation"])
    document["signature"]["content_sha256"] = hashlib.sha256(payload).hexdigest()
    result = verify_bytes(_rewrite(document))
    assert result.problem is Problem.SIGNATURE


@pytest.mark.parametrize("field", ["value", "content_sha256", "public_key", "fingerprint"])
def test_any_signature_change_fails(report: Path, field: str) -> None:
    document = json.loads(report.read_bytes())
    text = document["signature"][field]
    position = len(text) // 3
    flipped = "A" if text[position] != "A" else "B"
    if field in ("content_sha256", "fingerprint"):
        flipped = "0" if text[position] != "0" else "1"
    document["signature"][field] = text[:position] + flipped + text[position + 1 :]
    result = verify_bytes(_rewrite(document))
    assert result.outcome is Outcome.INVALID
    assert result.problem in (Problem.SIGNATURE, Problem.CONTENT_HASH, Problem.KEY_MISMATCH)


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
def test_flipping_any_byte_fails(report: Path, fraction: float) -> None:
    data = bytearray(report.read_bytes())
    position = min(int(len(data) * fraction), len(data) - 2)
    data[position] ^= 0x01
    result = verify_bytes(bytes(data))
    assert not result.valid
    assert result.outcome in (Outcome.INVALID, Outcome.UNREADABLE)


def test_reformatting_is_detected(report: Path) -> None:
    document = json.loads(report.read_bytes())
    pretty = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()
    assert verify_bytes(pretty).problem is Problem.NOT_CANONICAL


def test_duplicate_keys_are_rejected(report: Path) -> None:
    data = report.read_bytes()
    forged = data.replace(b'{"attestation":', b'{"attestation":{},"attestation":', 1)
    assert verify_bytes(forged).problem is Problem.SCHEMA


def test_schema_violation_names_the_place(report: Path) -> None:
    document = json.loads(report.read_bytes())
    document["attestation"]["findings"][0]["severity"] = "apocalyptic"
    result = verify_bytes(_rewrite(document))
    assert result.problem is Problem.SCHEMA
    assert "$.attestation.findings[0].severity" in result.detail


def _resign(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    content = dict(document["attestation"])
    content["signer"] = {
        "algorithm": "ed25519",
        "public_key": key.public_b64,
        "fingerprint": key.fingerprint,
    }
    return sign_content(content, key)


def test_another_key_fails_only_when_the_signer_is_pinned(
    report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = json.loads(report.read_bytes())
    pinned = original["signature"]["fingerprint"]
    other = SigningKey.from_seed(secrets.token_bytes(32), KeySource.PASSPHRASE)
    forged_path = tmp_path / "forged.json"
    forged_path.write_bytes(document_bytes(_resign(original, other)))
    assert verify_path(forged_path).valid  # a self-consistent report by another key
    result = verify_path(forged_path, pinned)
    assert result.problem is Problem.SIGNER
    assert group_fingerprint(other.fingerprint) in result.detail
    assert _run(["verify", str(forged_path), "--signer", group_fingerprint(pinned)]) == 1
    assert "signer not the pinned one" in capsys.readouterr().out


def test_swapping_in_another_keys_signature_block_fails(report: Path) -> None:
    original = json.loads(report.read_bytes())
    other = SigningKey.from_seed(secrets.token_bytes(32), KeySource.PASSPHRASE)
    payload = canonical_bytes(original["attestation"])
    original["signature"].update(
        public_key=other.public_b64,
        fingerprint=other.fingerprint,
        value=base64.b64encode(other.sign(payload)).decode(),
    )
    assert verify_bytes(_rewrite(original)).problem is Problem.KEY_MISMATCH


def test_exit_codes(report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00not json at all")
    not_json = tmp_path / "text.json"
    not_json.write_text("{ nope")
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(report.read_bytes().replace(b'"Jane Doe"', b'"Jane Dough"'))
    assert _run(["verify", str(tmp_path / "missing.json")]) == 2
    assert _run(["verify", str(not_json)]) == 2
    assert _run(["verify", str(garbage)]) == 2
    assert _run(["verify", str(tampered)]) == 1
    captured = capsys.readouterr()
    assert "content hash mismatch" in captured.out
    assert "unreadable" in captured.err and "not JSON" in captured.err
    assert _run(["verify", str(report)]) == 0


def test_a_json_array_is_a_schema_violation(tmp_path: Path) -> None:
    assert verify_bytes(b"[]").problem is Problem.SCHEMA
