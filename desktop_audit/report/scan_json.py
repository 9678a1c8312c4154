"""The scan JSON document (DESIGN.md "Scan JSON (contract)")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop_audit import __version__
from desktop_audit.models import FindingRecord, Location, LocationRecord, ScanRecord

SCHEMA_VERSION = 1


def display_path(path: str | None, home: str | Path | None) -> str | None:
    """A location path relative to the home when under it, else absolute."""
    if path is None or home is None:
        return path
    home_str = str(home).rstrip("/")
    if path == home_str:
        return "."
    if path.startswith(home_str + "/"):
        return path[len(home_str) + 1 :]
    return path


def location_dict(location: Location, home: str | Path | None) -> dict[str, Any]:
    return {
        "source": str(location.source),
        "path": display_path(location.path, home),
        "line": location.line,
        "commit": location.commit,
        "ref": location.ref,
        "keychain_item": location.keychain_item,
    }


def finding_dict(
    finding: FindingRecord, home: str | Path | None, *, only_present: bool = False
) -> dict[str, Any]:
    """One finding in the contract's shape (plus a few extra descriptive keys)."""
    records: Sequence[LocationRecord] = finding.locations
    if only_present and any(r.present for r in records):
        records = [r for r in records if r.present]
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
        "first_seen": finding.first_seen,
        "last_seen": finding.last_seen,
        "locations": [{**location_dict(r.location, home), "present": r.present} for r in records],
        "guide": finding.guide,
    }


def scan_dict(scan: ScanRecord, findings: Sequence[FindingRecord], salt: str) -> dict[str, Any]:
    """The whole scan document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "desktop-audit", "version": __version__},
        "scan": {
            "id": scan.id,
            "started_at": scan.started_at,
            "finished_at": scan.finished_at,
            "home": scan.home,
            "roots": list(scan.roots),
            "sources": list(scan.groups),
            "salt": salt,
            "status": str(scan.status),
            "ruleset_digest": scan.ruleset_digest,
            "profile_sha256": scan.profile_sha256,
            "stats": scan.stats,
            "coverage": {
                "repositories": [
                    {**repo, "path": display_path(str(repo.get("path", "")), scan.home)}
                    for repo in scan.coverage
                ]
            },
            "errors": [
                {"source": e.source, "path": display_path(e.path, scan.home), "message": e.message}
                for e in scan.errors
            ],
        },
        "findings": [finding_dict(f, scan.home, only_present=True) for f in findings],
    }


def findings_dict(findings: Sequence[FindingRecord], home: str | None) -> dict[str, Any]:
    """``findings --format json``: ``{"findings": [...]}`` in the scan's finding shape."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "desktop-audit", "version": __version__},
        "findings": [finding_dict(f, home) for f in findings],
    }


def dumps(document: dict[str, Any]) -> str:
    """The document as two-space indented JSON, each finding on one line of its own (those
    lines come from the C encoder: indenting thousands of locations in Python took longer
    than the rescan that found them)."""
    findings = document.get("findings")
    if not isinstance(findings, list) or not findings:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    head = {key: value for key, value in document.items() if key != "findings"}
    rows = ",\n    ".join(json.dumps(f, ensure_ascii=False) for f in findings)
    opening = json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ",\n" if head else "{\n"
    return f'{opening}  "findings": [\n    {rows}\n  ]\n}}\n'
