"""Deleting a Secret Service item (the real one: DESKTOP_AUDIT_REQUIRE_KEYRING=1) and undo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.app.remediation import ActionKind, Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.models import SourceGroup
from desktop_audit.store import actions as action_store
from tests.remediate.conftest import example, only, scan_into

pytestmark = pytest.mark.skipif(
    os.environ.get("DESKTOP_AUDIT_REQUIRE_KEYRING") != "1",
    reason="needs a real Secret Service (DESKTOP_AUDIT_REQUIRE_KEYRING=1)",
)
LABEL = "desktop-audit test: client github token"
ATTRIBUTES = {"service": "desktop-audit-test", "username": "contractor"}


def _items(label: str) -> list[Any]:
    import secretstorage

    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    return [i for i in collection.get_all_items() if i.get_label() == label]


@pytest.fixture
def item() -> Iterator[bytes]:
    import secretstorage

    _, secret = example("github.pat")
    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    collection.unlock()
    collection.create_item(LABEL, ATTRIBUTES, secret, replace=True)
    yield secret
    for leftover in _items(LABEL):
        leftover.delete()
    conn.close()


def test_delete_item_backup_and_undo(item: bytes, home: Path, service: AuditService) -> None:
    finding = only(scan_into(service, home, (SourceGroup.KEYCHAIN,)), "github.pat")
    remediation = Remediation(service)
    plan = remediation.plan(finding.id)
    assert plan.kind is ActionKind.DELETE_KEYCHAIN_ITEM
    assert item.decode() not in plan.preview()
    (original,) = _items(LABEL)
    attributes = dict(original.get_attributes())

    outcome = remediation.apply(plan)
    assert _items(LABEL) == []
    assert outcome.verification.finding_gone
    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    assert item not in Path(record.backup_path).read_bytes()

    remediation.undo(outcome.action_id)
    restored = _items(LABEL)
    assert len(restored) == 1
    assert restored[0].get_secret() == item
    assert dict(restored[0].get_attributes()) == attributes
