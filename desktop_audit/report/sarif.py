"""Findings as SARIF 2.1.0, validated in the tests against the official OASIS schema.

Every rule carries CWE-798 (tag and a relationship to the CWE taxonomy). Results point at paths
relative to the audited home (``uriBaseId`` ``HOME``); keychain items are logical locations.
``partialFingerprints`` hold the finding id, so a viewer tracks a finding across runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from desktop_audit import __version__
from desktop_audit.models import FindingRecord, Location, Severity, Status
from desktop_audit.report.scan_json import display_path

SCHEMA_VERSION = 1
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
CWE_798 = {
    "id": "798",
    "guid": "0a3f2a8e-0a60-5f1c-9a7b-7b0b1f3f0798",
    "name": "UseOfHardCodedCredentials",
    "shortDescription": {"text": "Use of Hard-coded Credentials"},
    "helpUri": "https://cwe.mitre.org/data/definitions/798.html",
}
CWE_TAXONOMY = {
    "name": "CWE",
    "guid": "fd9ac3a8-0f38-4c3f-8d0b-0cb0f7f3a1c1",
    "version": "4.14",
    "organization": "MITRE",
    "informationUri": "https://cwe.mitre.org/",
    "shortDescription": {"text": "The MITRE Common Weakness Enumeration"},
    "isComprehensive": False,
    "taxa": [CWE_798],
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this property (0.0-10.0) to rank security results.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _rule(finding: FindingRecord) -> dict[str, Any]:
    return {
        "id": finding.rule_id,
        "name": finding.rule_id.replace(".", "/"),
        "shortDescription": {"text": finding.title or finding.rule_id},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {
            "tags": ["security", "secret", "CWE-798", finding.kind.value],
            "provider": finding.provider,
            "guide": finding.guide,
            "security-severity": _SECURITY_SEVERITY[finding.severity],
        },
        "relationships": [
            {
                "target": {"id": "798", "guid": CWE_798["guid"], "toolComponent": {"name": "CWE"}},
                "kinds": ["relevant"],
            }
        ],
    }


def _uri(path: str) -> tuple[str, bool]:
    """(URI, relative?) for a display path: relative paths resolve against ``HOME``."""
    if path.startswith("/"):
        return "file://" + quote(path), False
    return quote(PurePosixPath(path).as_posix()), True


def _location(location: Location, home: str | None) -> dict[str, Any]:
    properties = {
        "source": location.source.value,
        "commit": location.commit,
        "ref": location.ref,
    }
    result: dict[str, Any] = {"properties": {k: v for k, v in properties.items() if v}}
    path = display_path(location.path, home)
    if path is not None:
        uri, relative = _uri(path)
        artifact: dict[str, Any] = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "HOME"
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if location.line:
            physical["region"] = {"startLine": location.line}
        result["physicalLocation"] = physical
    if location.keychain_item:
        result["logicalLocations"] = [{"name": location.keychain_item, "kind": "resource"}]
    return result


def _latest_note(finding: FindingRecord) -> str:
    return next((e.note for e in reversed(finding.events) if e.status is finding.status), "")


def _result(finding: FindingRecord, index: int, home: str | None) -> dict[str, Any]:
    """Removed findings are ``pass``; accepted and false positives carry a suppression."""
    records = [r for r in finding.locations if r.present] or list(finding.locations)
    where = f" ({len(records)} location{'s' if len(records) != 1 else ''})" if records else ""
    removed = finding.status is Status.REMOVED
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "kind": "pass" if removed else "fail",
        "level": "none" if removed else _LEVEL[finding.severity],
        "message": {
            "text": f"{finding.title or finding.rule_id}: {finding.redacted} "
            f"[{finding.status.value}]{where}"
        },
        "locations": [_location(r.location, home) for r in records],
        "partialFingerprints": {
            "desktopAuditFindingId/v1": finding.id,
            "matchHash/v1": finding.match_hash,
        },
        "properties": {
            "severity": finding.severity.value,
            "status": finding.status.value,
            "provider": finding.provider,
            "redacted": finding.redacted,
            "firstSeen": finding.first_seen,
            "lastSeen": finding.last_seen,
        },
    }
    if finding.status in (Status.ACCEPTED, Status.FALSE_POSITIVE):
        suppression = {"kind": "external", "status": "accepted"}
        note = _latest_note(finding)
        result["suppressions"] = [{**suppression, "justification": note} if note else suppression]
    return result


def sarif_dict(findings: Sequence[FindingRecord], home: str | None, salt: str) -> dict[str, Any]:
    """One run with the rules that produced the findings, sorted by rule id."""
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(finding.rule_id, _rule(finding))
    order = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(order)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "desktop-audit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rules[r] for r in order],
                "supportedTaxonomies": [{"name": "CWE", "guid": CWE_TAXONOMY["guid"]}],
            }
        },
        "taxonomies": [CWE_TAXONOMY],
        "results": [_result(f, index[f.rule_id], home) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"schema_version": SCHEMA_VERSION, "match_salt": salt},
    }
    if home is not None:
        run["originalUriBaseIds"] = {"HOME": {"uri": "file://" + quote(home.rstrip("/")) + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
