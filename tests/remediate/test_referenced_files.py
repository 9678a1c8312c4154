"""Clean-up of a credential file a config names (OpenVPN's ``auth-user-pass FILE``): its lines
go like any file's, and the targeted re-check reads it with the same format as the scan did, so
the location is seen as gone (the file's name alone does not say what it is)."""

from __future__ import annotations

from pathlib import Path

from desktop_audit.app.remediation import ActionKind, Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.models import SourceGroup
from tests.remediate.conftest import only, scan_into
from tests.scan.sources.conftest import random_password

FILES = (SourceGroup.DOTFILES, SourceGroup.FILES)
RULE = "openvpn.auth-user-pass-file"


def _vpn_profile(home: Path, creds: bytes) -> Path:
    """An OpenVPN profile naming ``creds.txt`` beside it, which holds ``creds``; its path."""
    profile = home / "vpn" / "acme.ovpn"
    profile.parent.mkdir()
    profile.write_text("client\nremote vpn.acme.example 1194\nauth-user-pass creds.txt\n")
    path = home / "vpn" / "creds.txt"
    path.write_bytes(creds)
    return path


def test_removing_the_password_of_a_named_creds_file_is_confirmed_gone_then_undone(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    password = random_password(18)
    before = f"bob\r\n{password}\r\n# kept\r\n".encode()
    creds = _vpn_profile(home, before)
    finding = only(scan_into(service, home, FILES), RULE)
    assert finding.rule_id == RULE
    assert [loc.location.line for loc in finding.locations] == [2]

    plan = remediation.plan(finding.id)
    assert plan.kind is ActionKind.REMOVE_LINES
    assert password not in plan.preview()
    outcome = remediation.apply(plan)
    assert password.encode() not in creds.read_bytes()
    assert creds.read_bytes().endswith(b"# kept\r\n")
    assert outcome.verification.finding_gone

    remediation.undo(outcome.action_id)
    assert creds.read_bytes() == before


def test_only_the_password_line_goes_the_user_name_stays(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    password = random_password(18)
    creds = _vpn_profile(home, f"bob\n{password}\n".encode())
    finding = only(scan_into(service, home, FILES), RULE)
    outcome = remediation.apply(remediation.plan(finding.id))
    assert creds.read_bytes() == b"bob\n"  # the user name is no secret: kept for the new one
    assert outcome.verification.finding_gone
