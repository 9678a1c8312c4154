"""The attestation document: canonical JSON content, signed with Ed25519 (docs/attestation.md).

The file is ``{"attestation": CONTENT, "signature": {...}}`` written as canonical JSON (sorted
keys, UTF-8, separators ``,`` ``:``) plus one newline. The signature covers the canonical bytes
of CONTENT; ``content_sha256`` is their SHA-256. CONTENT embeds the signer's public key, so a
signature block cannot be swapped for another key's without breaking it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop_audit import __version__
from desktop_audit.models import FindingRecord, ScanRecord
from desktop_audit.report.scan_json import location_dict
from desktop_audit.report.signing import ALGORITHM, SigningKey

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Machine:
    hostname: str
    os: str
    user: str


@dataclass(frozen=True, slots=True)
class ProfileIdentity:
    client: str
    contract_id: str
    security_contact: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    """One checklist item and its latest answer (``origin``: ``builtin`` or ``profile``)."""

    id: str
    text: str
    origin: str
    done: bool
    note: str
    answered_at: str | None


@dataclass(frozen=True)
class AttestationInput:
    """Everything one attestation states; built by the application layer from the store."""

    attestation_id: str
    created_at: str
    person: Person
    machine: Machine
    profile: ProfileIdentity | None
    scans: Sequence[ScanRecord]
    findings: Sequence[FindingRecord]
    checklist: Sequence[ChecklistEntry]
    match_salt: str
    home: str | None


def canonical_bytes(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8, no NaN/Infinity."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def statement_text(
    person: Person, machine: Machine, profile: ProfileIdentity | None, date: str
) -> str:
    """The plain-language statement the user confirms before signing."""
    if profile is not None:
        whose = f"{profile.client} (contract {profile.contract_id})"
    else:
        whose = "my client engagements"
    return (
        f"I, {person.name} <{person.email}>, confirm that on {date} I audited the workstation "
        f"{machine.hostname} (user {machine.user}) for credentials and endpoint references "
        f"belonging to {whose}; that every credential this report lists as revoked has been "
        "invalidated at its provider and every one listed as removed no longer exists on this "
        "machine; and that this report, including the checklist answers, is complete and "
        "accurate to the best of my knowledge."
    )


def _scan_entry(scan: ScanRecord) -> dict[str, Any]:
    return {
        "id": scan.id,
        "started_at": scan.started_at,
        "finished_at": scan.finished_at,
        "status": str(scan.status),
        "home": scan.home,
        "roots": list(scan.roots),
        "sources": list(scan.groups),
        "stats": scan.stats,
        "errors": len(scan.errors),
        "findings": scan.findings,
        "ruleset_digest": scan.ruleset_digest,
        "profile_sha256": scan.profile_sha256,
        "tool_version": scan.tool_version,
    }


def _finding_entry(finding: FindingRecord, home: str | None) -> dict[str, Any]:
    return {
        "id": finding.id,
        "kind": str(finding.kind),
        "rule_id": finding.rule_id,
        "provider": finding.provider,
        "title": finding.title,
        "severity": str(finding.severity),
        "status": str(finding.status),
        "present": finding.present,
        "redacted": finding.redacted,
        "match_hash": finding.match_hash,
        "guide": finding.guide,
        "first_seen": finding.first_seen,
        "last_seen": finding.last_seen,
        "locations": [
            {**location_dict(r.location, home), "present": r.present} for r in finding.locations
        ],
        "history": [
            {
                "at": e.at,
                "status": str(e.status),
                "actor": e.actor,
                "note": e.note,
                "scan_id": e.scan_id,
            }
            for e in finding.events
        ],
    }


def build_content(data: AttestationInput, key: SigningKey) -> dict[str, Any]:
    """The attestation content (what is signed)."""
    latest = data.scans[0] if data.scans else None
    profile = None
    if data.profile is not None:
        profile = {
            "client": data.profile.client,
            "contract_id": data.profile.contract_id,
            "security_contact": data.profile.security_contact,
            "sha256": data.profile.sha256,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "id": data.attestation_id,
        "created_at": data.created_at,
        "tool": {
            "name": "desktop-audit",
            "version": __version__,
            "ruleset_digest": latest.ruleset_digest if latest else None,
        },
        "person": {"name": data.person.name, "email": data.person.email},
        "machine": {
            "hostname": data.machine.hostname,
            "os": data.machine.os,
            "user": data.machine.user,
        },
        "profile": profile,
        "home": data.home,
        "match_salt": data.match_salt,
        "scans": [_scan_entry(s) for s in data.scans],
        "findings": [_finding_entry(f, data.home) for f in data.findings],
        "checklist": [
            {
                "id": c.id,
                "text": c.text,
                "origin": c.origin,
                "done": c.done,
                "note": c.note,
                "answered_at": c.answered_at,
            }
            for c in data.checklist
        ],
        "statement": {
            "text": statement_text(data.person, data.machine, data.profile, data.created_at[:10]),
            "confirmed": True,
        },
        "signer": {
            "algorithm": ALGORITHM,
            "public_key": key.public_b64,
            "fingerprint": key.fingerprint,
        },
    }


def sign_content(content: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """The whole report document: the content and a detached signature block."""
    payload = canonical_bytes(content)
    return {
        "attestation": content,
        "signature": {
            "algorithm": ALGORITHM,
            "public_key": key.public_b64,
            "fingerprint": key.fingerprint,
            "content_sha256": hashlib.sha256(payload).hexdigest(),
            "value": base64.b64encode(key.sign(payload)).decode("ascii"),
        },
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    """The report file's exact bytes: canonical JSON and one newline."""
    return canonical_bytes(document) + b"\n"
