"""What the PDF and HTML renderings show, in one place, taken from the signed document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_audit.report.signing import group_fingerprint
from desktop_audit.report.summary import STATUS_LABELS, Summary, summarise

TITLE = "Offboarding credential attestation"
VERIFY_HINT = (
    "This page renders a signed JSON report. Check it with: desktop-audit verify REPORT.json "
    "--signer FINGERPRINT. Secrets never appear: previews show a public prefix and at most "
    "four trailing characters."
)


@dataclass(frozen=True)
class FindingLine:
    severity: str
    status: str
    what: str
    preview: str
    where: str
    history: str


@dataclass(frozen=True)
class ChecklistLine:
    done: bool
    text: str
    note: str


@dataclass(frozen=True)
class View:
    summary: Summary
    facts: list[tuple[str, str]]
    statement: str
    fingerprint: str
    findings: list[FindingLine]
    checklist: list[ChecklistLine]


def _where(location: dict[str, Any]) -> str:
    place = location.get("path") or location.get("keychain_item") or "-"
    if location.get("line"):
        place += f":{location['line']}"
    extras = [str(location["source"])]
    if location.get("commit"):
        extras.append(f"commit {str(location['commit'])[:10]}")
    if location.get("ref"):
        extras.append(str(location["ref"]))
    if not location.get("present", True):
        extras.append("gone")
    return f"{place} ({', '.join(extras)})"


def _history(events: list[dict[str, Any]]) -> str:
    parts = []
    for event in events:
        note = f": {event['note']}" if event.get("note") else ""
        label = STATUS_LABELS.get(event["status"], event["status"])
        parts.append(f"{event['at'][:10]} {label}{note}")
    return "\n".join(parts)


def build_view(document: dict[str, Any]) -> View:
    content: dict[str, Any] = document["attestation"]
    summary = summarise(content)
    profile = content.get("profile") or {}
    latest = content["scans"][0] if content["scans"] else None
    facts = [
        ("Signed by", f"{summary.name} <{summary.email}>"),
        ("Machine", f"{summary.hostname} (user {summary.user}), {summary.os}"),
        (
            "Client",
            f"{summary.client} (contract {summary.contract_id})" if profile else "no profile given",
        ),
        ("Profile SHA-256", profile.get("sha256", "-") if profile else "-"),
        ("Date", summary.created_at),
        (
            "Last scan",
            f"{latest['id']} {latest['status']}, finished {latest['finished_at'] or '-'}"
            if latest
            else "none",
        ),
        ("Scans", str(len(content["scans"]))),
        ("Findings", f"{summary.findings}: {summary.status_line()}"),
        (
            "Checklist",
            f"{summary.checklist_done}/{summary.checklist_total} done "
            f"({summary.checklist_percent}%)",
        ),
        ("Report id", content["id"]),
        ("Tool", f"desktop-audit {content['tool']['version']}"),
    ]
    findings = [
        FindingLine(
            severity=f["severity"],
            status=STATUS_LABELS.get(f["status"], f["status"]),
            what=f"{f['title'] or f['rule_id']} [{f['provider']}]",
            preview=f["redacted"],
            where="\n".join(_where(loc) for loc in f["locations"]) or "-",
            history=_history(f["history"]),
        )
        for f in content["findings"]
    ]
    checklist = [ChecklistLine(c["done"], c["text"], c["note"]) for c in content["checklist"]]
    return View(
        summary=summary,
        facts=facts,
        statement=content["statement"]["text"],
        fingerprint=group_fingerprint(summary.fingerprint),
        findings=findings,
        checklist=checklist,
    )
