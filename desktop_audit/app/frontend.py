"""What the front ends need from remediation and reports besides the two services.

Value types re-exported from the lower layers (so ``gui/`` imports ``app/`` only), the
statement a signer confirms, and report verification results in plain language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from desktop_audit.app.reports import check_person, machine_info
from desktop_audit.profile import Profile
from desktop_audit.remediate.guides import Guide
from desktop_audit.remediate.liveness import LivenessResult, provider_for
from desktop_audit.report.attestation import Machine, Person, ProfileIdentity, statement_text
from desktop_audit.report.signing import group_fingerprint
from desktop_audit.report.summary import Summary, summarise
from desktop_audit.report.verify import Outcome, Problem
from desktop_audit.report.verify import Verification as ReportVerification
from desktop_audit.store.actions import ActionRecord, ActionStatus

__all__ = [
    "ActionRecord",
    "ActionStatus",
    "Guide",
    "LivenessResult",
    "Outcome",
    "ReportVerification",
    "Summary",
    "explain_verification",
    "group_fingerprint",
    "liveness_provider",
    "statement_preview",
    "summarise",
]

_PLAIN: dict[Problem, str] = {
    Problem.UNREADABLE: "The file could not be read as a report (missing, not text or not JSON).",
    Problem.SCHEMA: "The file is not a desktop-audit report in the expected format.",
    Problem.NOT_CANONICAL: "The file was reformatted or edited after it was signed.",
    Problem.CONTENT_HASH: "The report's content was changed after it was signed.",
    Problem.KEY_MISMATCH: "The signature block names a different key than the signed content.",
    Problem.SIGNATURE: "The signature does not match the content: the report was altered.",
    Problem.SIGNER: "The report was signed by a different key than the one expected.",
}


def liveness_provider(rule_id: str) -> str | None:
    """The provider an opt-in online check would contact for this rule, or None."""
    return provider_for(rule_id)


def statement_preview(
    name: str,
    email: str,
    profile: Profile | None,
    machine: Machine | None = None,
    date: str | None = None,
) -> str:
    """The statement the signer will confirm (placeholders while name or e-mail are missing)."""
    try:
        person = check_person(name, email)
        who_name, who_email = person.name, person.email
    except Exception:  # not valid yet: show what the statement will say
        who_name, who_email = name.strip() or "(your name)", email.strip() or "(your e-mail)"
    identity = None
    if profile is not None:
        identity = ProfileIdentity(
            profile.client, profile.contract_id, profile.security_contact, profile.sha256
        )
    return statement_text(
        Person(who_name, who_email),
        machine or machine_info(),
        identity,
        date or datetime.now(UTC).date().isoformat(),
    )


def explain_verification(result: ReportVerification) -> tuple[bool, str, str]:
    """``(valid, headline, detail)`` in plain language for a verified report file."""
    if result.valid:
        summary = summarise(result.content or {})
        client = f" for {summary.client}" if summary.client else ""
        fingerprint = group_fingerprint(result.fingerprint or "")
        return (
            True,
            "Valid: the signature matches and nothing was changed since signing.",
            f"Signed by {summary.name} <{summary.email}>{client} on {summary.created_at[:10]}"
            f" · {summary.findings} findings, {summary.open} open · checklist"
            f" {summary.checklist_done}/{summary.checklist_total}\nKey fingerprint {fingerprint}",
        )
    if result.outcome is Outcome.UNREADABLE:
        return False, "Not a readable report.", _PLAIN[Problem.UNREADABLE] + _tail(result.detail)
    plain = _PLAIN.get(result.problem, "The report did not verify.") if result.problem else ""
    return False, "Invalid: do not trust this report.", plain + _tail(result.message)


def _tail(detail: str) -> str:
    return f"\n(Technical detail: {detail})" if detail else ""
