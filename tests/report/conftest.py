"""A real database with scans, findings in every status, checklist answers and a profile."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.app.reports import ReportRequest, ReportService
from desktop_audit.app.service import AuditService
from desktop_audit.models import (
    FindingKind,
    ScanErrorRecord,
    ScanStatus,
    Severity,
    SourceGroup,
    SourceKind,
    Status,
)
from desktop_audit.profile import load_profile
from desktop_audit.report.attestation import Machine
from desktop_audit.store import keys
from tests.factories import located, make_hit

REQUIRE_KEYRING = os.environ.get("DESKTOP_AUDIT_REQUIRE_KEYRING") == "1"
MACHINE = Machine(hostname="build-box-7", os="Linux 6.1 (Debian GNU/Linux 12)", user="jdoe")
PROFILE_TOML = """\
[engagement]
client = "Example Labs"
contract_id = "EX-2026-17"
security_contact = "security@example.com"

[checklist]
items = [
  { id = "vpn", text = "Client VPN profile removed" },
  { id = "badge", text = "Building badge returned" },
]
"""


@pytest.fixture(autouse=True)
def key_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real keyring under the test command; a passphrase where no keyring runs."""
    if REQUIRE_KEYRING:
        monkeypatch.delenv(keys.BACKEND_ENV, raising=False)
        return
    if not os.environ.get(keys.BACKEND_ENV):
        monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    if not os.environ.get(keys.PASSPHRASE_ENV):
        monkeypatch.setenv(keys.PASSPHRASE_ENV, "report-test-passphrase")


@dataclass
class Planted:
    """The audited world: home, profile, service and a 'secret' only its hash was stored of."""

    home: Path
    profile: Path
    service: AuditService
    secret: str
    secret_finding: str
    salt: bytes

    def reports(self, **kwargs: Any) -> ReportService:
        return ReportService(self.service, machine=MACHINE, **kwargs)

    def request(self, out: Path, **kwargs: Any) -> ReportRequest:
        defaults: dict[str, Any] = {
            "confirm": lambda _text: True,
            "profile_path": self.profile,
            "name": "Jane Doe",
            "email": "jane.doe@contractor.example",
        }
        return ReportRequest(out=out, **{**defaults, **kwargs})


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[Planted]:
    home = tmp_path / "home"
    home.mkdir()
    profile_path = tmp_path / "engagement.toml"
    profile_path.write_text(PROFILE_TOML, encoding="utf-8")
    profile = load_profile(profile_path)
    service = AuditService(db_path=tmp_path / "audit.db")
    store = service.store
    salt = store.match_salt()
    secret = "ghp_" + secrets.token_urlsafe(30)
    planted_hit = make_hit(1, severity=Severity.CRITICAL)
    planted_hit = replace(
        planted_hit,
        match_hash=hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest(),
        redacted="ghp_…" + secret[-4:],
    )
    scan = store.begin_scan(
        home=home,
        roots=(home,),
        groups=tuple(SourceGroup),
        profile_sha256=profile.sha256,
        ruleset_digest="d" * 64,
        tool_version="0.1.0",
    )
    aws = make_hit(2, provider="aws", rule_id="aws.access-key-id", severity=Severity.HIGH)
    keychain = make_hit(3, provider="npm", rule_id="npm.token", severity=Severity.MEDIUM)
    endpoint = make_hit(4, provider="client", rule_id="profile.endpoint", kind=FindingKind.ENDPOINT)
    store.record_hits(
        scan,
        home,
        [
            located(planted_hit, home / ".git-credentials", source=SourceKind.DOTFILE, line=1),
            located(
                planted_hit,
                home / "work/app/config.py",
                source=SourceKind.GIT_HISTORY,
                line=12,
                commit="0123456789abcdef0123456789abcdef01234567",
                ref="stash",
            ),
            located(aws, home / ".aws/credentials", source=SourceKind.DOTFILE, line=3),
            located(keychain, None, source=SourceKind.KEYCHAIN, line=None, keychain_item="npm"),
            located(endpoint, "/etc/hosts", source=SourceKind.FILE, line=7),
        ],
    )
    store.finish_scan(
        scan,
        ScanStatus.COMPLETE,
        {"git": {"repos": 1, "blobs": 40, "bytes": 9000}, "files": {"files": 12, "bytes": 800}},
        [ScanErrorRecord("files", str(home / "locked"), "permission denied")],
    )
    service.resolve(aws.finding_id, Status.REVOKED, "deactivated in IAM")
    service.resolve(keychain.finding_id, Status.ACCEPTED, "personal npm token, not the client's")
    service.resolve(endpoint.finding_id, Status.FALSE_POSITIVE, "public mirror, not the client's")
    service.set_checklist_answer("vpn", True, "profile deleted")
    service.set_checklist_answer("revoke-credentials", False, "one GitHub token left")
    try:
        yield Planted(home, profile_path, service, secret, planted_hit.finding_id, salt)
    finally:
        service.close()
