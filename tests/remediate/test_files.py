"""Removing a credential's lines and deleting files: preview, backup, change, undo."""

from __future__ import annotations

import base64
import stat
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_audit.app.remediation import ActionKind, Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.errors import RemediationError, StaleTargetError, UsageError
from desktop_audit.models import SourceGroup, Status
from desktop_audit.store import actions as action_store
from tests.remediate.conftest import example, only, scan_into

FILES = (SourceGroup.DOTFILES, SourceGroup.HISTORY, SourceGroup.FILES)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _backup_is_sealed(path: Path, secret: bytes) -> bool:
    """The backup is private and neither the secret nor its base64 appears in it."""
    blob = path.read_bytes()
    encoded = base64.b64encode(secret)
    return _mode(path) == 0o600 and secret not in blob and encoded[:16] not in blob


def test_remove_line_keeps_every_other_byte_and_mode_then_undo(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, secret = example("github.pat")
    before = b"alias ll='ls -l'\r\n" + line.encode() + b"\n# \xff raw byte\nexport X=1"
    rc = home / ".bashrc"
    rc.write_bytes(before)
    rc.chmod(0o640)
    finding = only(scan_into(service, home, FILES), "github.pat")

    plan = remediation.plan(finding.id)
    assert plan.kind is ActionKind.REMOVE_LINES
    preview = plan.preview()
    assert secret.decode() not in preview
    assert "line 2" in preview
    assert rc.read_bytes() == before  # a plan changes nothing

    outcome = remediation.apply(plan)
    assert rc.read_bytes() == b"alias ll='ls -l'\r\n# \xff raw byte\nexport X=1"
    assert _mode(rc) == 0o640
    assert outcome.verification.finding_gone

    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    assert _backup_is_sealed(Path(record.backup_path), secret)
    history = service.finding(finding.id).events
    assert any(outcome.action_id in e.note for e in history)
    assert service.finding(finding.id).status is Status.OPEN

    remediation.undo(outcome.action_id)
    assert rc.read_bytes() == before
    assert _mode(rc) == 0o640
    undone = action_store.action(service.store, outcome.action_id)
    assert undone.status == "undone"
    assert service.finding(finding.id).present


def test_multi_line_private_key_lines_all_go(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    key, secret = example("privatekey.pem")
    head, tail = b"# keys kept here\n", b"after = 1\n"
    notes = home / "notes.txt"
    notes.write_bytes(head + key.encode() + b"\n" + tail)
    finding = only(scan_into(service, home, FILES), "privatekey.pem")

    plan = remediation.plan(finding.id, kind=ActionKind.REMOVE_LINES)
    assert secret.decode() not in plan.preview()
    remediation.apply(plan)
    assert notes.read_bytes() == head + tail


def test_revoked_finding_becomes_removed_when_last_location_goes(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("openai.api-key")
    (home / ".bash_history").write_text(f"ls\n{line}\ncd /tmp\n")
    finding = only(scan_into(service, home, FILES), "openai.api-key")
    service.resolve(finding.id, Status.REVOKED, "revoked in the console")

    outcome = remediation.apply(remediation.plan(finding.id))
    assert (home / ".bash_history").read_text() == "ls\ncd /tmp\n"
    assert outcome.verification.finding_gone
    assert service.finding(finding.id).status is Status.REMOVED


def test_delete_key_file_and_undo_restores_bytes_and_mode(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    key, secret = example("privatekey.pem")
    key_file = home / "client_id.pem"
    key_file.write_bytes(key.encode() + b"\n")
    key_file.chmod(0o600)
    finding = only(scan_into(service, home, FILES), "privatekey.pem")

    plan = remediation.plan(finding.id)
    assert plan.kind is ActionKind.DELETE_FILE
    assert secret.decode() not in plan.preview()
    outcome = remediation.apply(plan)
    assert not key_file.exists()
    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    assert _backup_is_sealed(Path(record.backup_path), secret)

    remediation.undo(outcome.action_id)
    assert key_file.read_bytes() == key.encode() + b"\n"
    assert _mode(key_file) == 0o600


def test_file_changed_after_preview_is_not_touched(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("github.pat")
    rc = home / ".bashrc"
    rc.write_text(f"{line}\n")
    finding = only(scan_into(service, home, FILES), "github.pat")
    plan = remediation.plan(finding.id)
    rc.write_text(f"{line}\nexport EDITED=1\n")
    with pytest.raises(StaleTargetError):
        remediation.apply(plan)
    assert rc.read_text().endswith("EDITED=1\n")
    assert not action_store.actions_for(service.store, finding.id)


def test_undo_refuses_to_overwrite_later_edits(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("github.pat")
    rc = home / ".bashrc"
    rc.write_text(f"a=1\n{line}\n")
    finding = only(scan_into(service, home, FILES), "github.pat")
    outcome = remediation.apply(remediation.plan(finding.id))
    rc.write_text("a=2\n")
    with pytest.raises(StaleTargetError):
        remediation.undo(outcome.action_id)
    assert rc.read_text() == "a=2\n"


def test_several_locations_need_a_choice(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("github.pat")
    (home / ".bashrc").write_text(f"{line}\n")
    (home / "notes.txt").write_text(f"{line}\n")
    finding = only(scan_into(service, home, FILES), "github.pat")
    with pytest.raises(UsageError):
        remediation.plan(finding.id)
    first = remediation.apply(remediation.plan(finding.id, location=1))
    assert not first.verification.finding_gone
    second = remediation.apply(remediation.plan(finding.id, location=1))
    assert second.verification.finding_gone


def test_backups_are_shredded_after_retention(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("github.pat")
    (home / ".bashrc").write_text(f"{line}\n")
    finding = only(scan_into(service, home, FILES), "github.pat")
    outcome = remediation.apply(remediation.plan(finding.id))
    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    backup = Path(record.backup_path)

    assert remediation.prune_backups(30) == 0
    assert backup.exists()
    later = datetime.now(UTC) + timedelta(days=31)
    assert remediation.prune_backups(30, now=later) == 1
    assert not backup.exists()
    with pytest.raises(RemediationError):
        remediation.undo(outcome.action_id)


def test_forget_backups_shreds_everything(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _ = example("github.pat")
    (home / ".bashrc").write_text(f"{line}\n")
    finding = only(scan_into(service, home, FILES), "github.pat")
    remediation.apply(remediation.plan(finding.id))
    backups = list(remediation.backups_dir.iterdir())
    assert len(backups) == 1
    assert stat.S_IMODE(remediation.backups_dir.stat().st_mode) == 0o700
    assert remediation.forget_backups() == 1
    assert not any(remediation.backups_dir.iterdir())


def test_a_credential_inside_a_document_is_not_rewritten_and_the_message_says_why(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    line, _secret = example("github.pat")
    document = home / "Documents" / "handover.docx"
    document.parent.mkdir()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("word/document.xml", f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>")
    before = document.read_bytes()
    finding = only(scan_into(service, home, FILES), "github.pat")
    with pytest.raises(RemediationError) as info:
        remediation.apply(remediation.plan(finding.id))
    message = str(info.value)
    assert str(document) in message and "word/document.xml" in message
    assert "edit or delete the file yourself" in message
    assert document.read_bytes() == before


@pytest.mark.parametrize(
    ("relative", "text", "rule_id"),
    [
        (
            ".config/linode-cli",
            "[DEFAULT]\ndefault-user = bob\n\n[bob]\ntoken = {}\nregion = eu-central\n",
            "linode.cli-config-token",
        ),
        (
            ".config/.wrangler/config/default.toml",
            'oauth_token = "{}"\nexpiration_time = "2024-05-02T10:11:12.123Z"\n',
            "cloudflare.wrangler-oauth",
        ),
    ],
    ids=["linode-cli", "wrangler"],
)
def test_a_store_the_catalogue_names_is_found_again_by_clean_up_and_verification(
    relative: str,
    text: str,
    rule_id: str,
    home: Path,
    service: AuditService,
    remediation: Remediation,
) -> None:
    """A rule that reads only its credential store finds its line again when clean-up and
    verification re-read the file (they know the store by the file's name, as the scan
    knows it from the catalogue): the line goes, and an untouched file stays present."""
    _line, secret = example(rule_id)
    path = home / relative
    path.parent.mkdir(parents=True)
    path.write_text(text.format(secret.decode()), encoding="utf-8")
    finding = only(scan_into(service, home, FILES), rule_id)
    assert remediation.verify(finding.id).gone == ()
    assert service.finding(finding.id).present
    plan = remediation.plan(finding.id)
    assert plan.kind is ActionKind.REMOVE_LINES
    assert secret.decode() not in plan.preview()
    outcome = remediation.apply(plan)
    assert secret not in path.read_bytes()
    assert outcome.verification.finding_gone
