"""Clean-up of a credential in a file its tool keeps encrypted (DBeaver's saved passwords,
MySQL's login paths): never rewritten line by line (the lines found are those of the text it
holds), refused with a message saying where to act; a verification decrypts the file, so an
untouched file's location stays present. A vault password file found by its name is cleaned
like any dotfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.app.remediation import Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.errors import RemediationError
from desktop_audit.models import FindingRecord, SourceGroup
from tests.remediate.conftest import scan_into
from tests.scan.sources.dotfile_home import dbeaver_encrypted, mylogin_bytes

PASSWORD = "Zq7vR2pLx9w3Kd"


def _only(service: AuditService, home: Path) -> FindingRecord:
    (finding,) = scan_into(service, home, [SourceGroup.DOTFILES])
    return finding


@pytest.mark.parametrize("kind", ["dbeaver", "mylogin"])
def test_an_encrypted_file_is_not_rewritten_and_stays_present(
    kind: str, service: AuditService, remediation: Remediation, home: Path
) -> None:
    if kind == "dbeaver":
        path = home / ".local/share/DBeaverData/workspace6/General/.dbeaver"
        path.mkdir(parents=True)
        path /= "credentials-config.json"
        path.write_bytes(
            dbeaver_encrypted({"pg-1": {"#connection": {"user": "u", "password": PASSWORD}}})
        )
    else:
        path = home / ".mylogin.cnf"
        path.write_bytes(mylogin_bytes(["[client]", 'user = "root"', f'password = "{PASSWORD}"']))
    before = path.read_bytes()
    finding = _only(service, home)
    with pytest.raises(RemediationError, match="keeps its passwords encrypted"):
        remediation.plan(finding.id)
    assert remediation.verify(finding.id).gone == ()
    assert all(loc.present for loc in service.finding(finding.id).locations)
    assert path.read_bytes() == before


def test_a_vault_password_file_with_a_suffix_is_cleaned_like_a_dotfile(
    service: AuditService, remediation: Remediation, home: Path
) -> None:
    path = home / ".vault_pass_prod"  # catalogued by ".vault_pass*", named by the sweep too
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    finding = _only(service, home)
    assert finding.rule_id == "ansible.vault-password"
    plan = remediation.plan(finding.id)
    assert any("line 1" in change for change in plan.changes)
    assert PASSWORD not in "\n".join(plan.changes)
