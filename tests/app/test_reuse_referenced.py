"""Incremental rescans and credential files a config names (OpenVPN ``auth-user-pass FILE``,
Ansible ``vault_password_file``): the config is never remembered, so a rescan follows it again
and the credential stays present; a changed password is a new finding and the old one is gone.
Findings are compared by rule id and match hash, never by the secret."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from desktop_audit.app.service import AuditService, ScanOutcome, ScanRequest
from desktop_audit.models import SourceGroup
from desktop_audit.scan import reuse
from tests.scan.sources.conftest import random_password

OLD = time.time() - 3600  # not "racily clean": the files may be remembered
RULES = ("openvpn.auth-user-pass-file", "ansible.vault-password")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (OLD, OLD))


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reuse, "RACY_NS", 0)


def _scan(service: AuditService, home: Path) -> ScanOutcome:
    groups = (SourceGroup.DOTFILES, SourceGroup.FILES)
    return service.scan(ScanRequest(home=home, groups=groups, reuse=True))


def _present(outcome: ScanOutcome) -> set[tuple[str, str, str | None, int | None]]:
    return {
        (f.rule_id, f.match_hash, loc.location.path, loc.location.line)
        for f in outcome.findings
        if f.present and f.rule_id in RULES
        for loc in f.locations
        if loc.present
    }


def test_a_named_credential_file_stays_present_and_a_changed_one_is_seen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for i in range(5):
        _write(home / "notes" / f"n{i}.txt", f"nothing secret here {i}\n")
    profile = "client\nremote vpn.acme.example 1194\nauth-user-pass creds.txt\n"
    _write(home / "vpn" / "acme.ovpn", profile)
    _write(home / "vpn" / "creds.txt", f"bob\n{random_password(18)}\n")
    _write(home / "infra" / "ansible.cfg", "[defaults]\nvault_password_file = ~/.ansible/prod\n")
    _write(home / ".ansible" / "prod", random_password(20) + "\n")
    service = AuditService(db_path=tmp_path / "audit.db")

    first = _scan(service, home)
    found = _present(first)
    assert {(rule, Path(path or "").name, line) for rule, _, path, line in found} == {
        ("openvpn.auth-user-pass-file", "creds.txt", 2),
        ("ansible.vault-password", "prod", 1),
    }

    second = _scan(service, home)
    assert second.scan.stats["files"].get("reused_files", 0) >= 5  # reuse is on
    assert _present(second) == found, "a remembered config hid its credential file"

    _write(home / "vpn" / "creds.txt", f"bob\n{random_password(18)}\n")
    third = _scan(service, home)
    now = _present(third)
    vpn_before = {item for item in found if item[0] == RULES[0]}
    vpn_now = {item for item in now if item[0] == RULES[0]}
    assert len(vpn_now) == 1
    assert vpn_now.isdisjoint(vpn_before), "the new password is a new finding"
    old = {i[:2] for i in vpn_before}
    stored = [f for f in service.findings() if (f.rule_id, f.match_hash) in old]
    assert len(stored) == 1
    assert not stored[0].present, "the old password is gone"
    assert now - vpn_now == found - vpn_before  # the vault password is still there
