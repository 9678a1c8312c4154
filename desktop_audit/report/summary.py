"""Facts every rendering opens with, computed from the attestation content (a dict)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

STATUS_ORDER = ("open", "revoked", "removed", "accepted", "false_positive")
STATUS_LABELS = {
    "open": "open",
    "revoked": "revoked",
    "removed": "removed",
    "accepted": "accepted",
    "false_positive": "false positive",
}


@dataclass(frozen=True)
class Summary:
    """Who, where, for whom, and how far the clean-up went."""

    name: str
    email: str
    hostname: str
    os: str
    user: str
    client: str
    contract_id: str
    created_at: str
    last_scan_at: str
    last_scan_status: str
    findings: int
    by_status: dict[str, int]
    checklist_done: int
    checklist_total: int
    fingerprint: str

    @property
    def open(self) -> int:
        return self.by_status.get("open", 0)

    @property
    def checklist_percent(self) -> int:
        if not self.checklist_total:
            return 100
        return round(100 * self.checklist_done / self.checklist_total)

    @property
    def clean(self) -> bool:
        return (
            self.open == 0
            and self.checklist_done == self.checklist_total
            and self.last_scan_status == "complete"
        )

    @property
    def verdict(self) -> str:
        """One line: CLEAN, or what is still missing."""
        if not self.last_scan_at:
            return "INCOMPLETE: no scan recorded"
        if self.clean:
            return "CLEAN: no open finding, checklist complete, last scan complete"
        missing = []
        if self.open:
            missing.append(f"{self.open} open finding{'s' if self.open != 1 else ''}")
        left = self.checklist_total - self.checklist_done
        if left:
            missing.append(f"{left} checklist item{'s' if left != 1 else ''} not done")
        if self.last_scan_status != "complete":
            missing.append(f"last scan {self.last_scan_status}")
        return "INCOMPLETE: " + ", ".join(missing)

    def status_line(self) -> str:
        """``2 open, 1 revoked, ...`` in a fixed order."""
        return ", ".join(f"{self.by_status.get(s, 0)} {STATUS_LABELS[s]}" for s in STATUS_ORDER)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def summarise(content: dict[str, Any]) -> Summary:
    """Tolerant of partial content (the fleet view summarises invalid reports too)."""

    def section(name: str) -> dict[str, Any]:
        value = content.get(name)
        return value if isinstance(value, dict) else {}

    def items(name: str) -> list[dict[str, Any]]:
        value = content.get(name)
        return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []

    person, machine, profile = section("person"), section("machine"), section("profile")
    scans, findings, checklist = items("scans"), items("findings"), items("checklist")
    latest = scans[0] if scans else {}
    counts = Counter(_text(f.get("status")) for f in findings)
    return Summary(
        name=_text(person.get("name")),
        email=_text(person.get("email")),
        hostname=_text(machine.get("hostname")),
        os=_text(machine.get("os")),
        user=_text(machine.get("user")),
        client=_text(profile.get("client")),
        contract_id=_text(profile.get("contract_id")),
        created_at=_text(content.get("created_at")),
        last_scan_at=_text(latest.get("finished_at")) or _text(latest.get("started_at")),
        last_scan_status=_text(latest.get("status")),
        findings=len(findings),
        by_status={s: counts.get(s, 0) for s in STATUS_ORDER},
        checklist_done=sum(1 for c in checklist if c.get("done") is True),
        checklist_total=len(checklist),
        fingerprint=_text(section("signer").get("fingerprint")),
    )
