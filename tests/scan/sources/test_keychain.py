"""The keychain source against a real Secret Service (gnome-keyring on a private D-Bus),
fakes for the locked / unreachable paths, and recorded macOS output."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.models import SourceKind
from desktop_audit.scan.sources.keychain import (
    KeychainItem,
    KeychainSource,
    MacKeychainBackend,
    SecretServiceBackend,
    UnsupportedBackend,
    default_backend,
    parse_security_dump,
)
from desktop_audit.scan.sources.keychain_windows import (
    WindowsCredentialBackend,
    items_from_records,
)
from tests.scan.sources.conftest import check, collect, make_ctx
from tests.scan.sources.detection import run

DATA = Path(__file__).parent / "data"
REQUIRE = os.environ.get("DESKTOP_AUDIT_REQUIRE_KEYRING") == "1"


def unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"DESKTOP_AUDIT_REQUIRE_KEYRING=1 but no usable Secret Service: {reason}")
    pytest.skip(f"no usable Secret Service: {reason}")


@pytest.fixture
def collection() -> Iterator[Any]:
    """The default collection of the session's Secret Service, unlocked."""
    try:
        import secretstorage

        connection = secretstorage.dbus_init()
        default = secretstorage.get_default_collection(connection)
        if default.is_locked():
            unavailable("the default collection is locked")
    except Exception as exc:  # many D-Bus error types
        unavailable(type(exc).__name__)
    yield default
    connection.close()


def test_items_created_with_keyring_are_yielded(collection: Any, tmp_path: Path) -> None:
    import keyring

    service = f"desktop-audit-test-{uuid.uuid4().hex[:8]}"
    secret = "kr_FAKE_" + uuid.uuid4().hex
    keyring.set_password(service, "contractor", secret)
    try:
        ctx = make_ctx(tmp_path)
        fragments = collect(KeychainSource(SecretServiceBackend()), ctx)
    finally:
        keyring.delete_password(service, "contractor")
    mine = [f for f in fragments if f.origin.keychain_item and service in f.origin.keychain_item]
    assert len(mine) == 2
    values, described = mine
    check(values.data == secret.encode(), "the item's secret was not yielded")
    assert values.origin.source is SourceKind.KEYCHAIN and values.origin.path is None
    check(f"service={service}".encode() in described.data, "attributes not described")
    check(secret.encode() not in described.data, "secret leaked into the description")
    assert ctx.stat("keychain").counters["items"] >= 1
    assert not [e for e in ctx.errors if "locked" in e.message]


def test_items_created_with_secretstorage_are_yielded_and_deleted(
    collection: Any, tmp_path: Path
) -> None:
    label = f"desktop-audit test {uuid.uuid4().hex[:8]}"
    item = collection.create_item(
        label, {"server": "api.example-labs.example", "user": "eval"}, b"ss_FAKE_value"
    )
    try:
        fragments = collect(KeychainSource(SecretServiceBackend()), make_ctx(tmp_path))
    finally:
        item.delete()
    mine = [f for f in fragments if f.origin.keychain_item == label]
    check(mine[0].data == b"ss_FAKE_value", "secret missing")
    check(b"server=api.example-labs.example" in mine[1].data, "endpoint attribute missing")
    after = collect(KeychainSource(SecretServiceBackend()), make_ctx(tmp_path))
    assert not [f for f in after if f.origin.keychain_item == label]


class FakeItem:
    def __init__(self, label: str, secret: bytes) -> None:
        self.label, self.secret = label, secret

    def get_label(self) -> str:
        return self.label

    def get_attributes(self) -> dict[str, str]:
        return {"service": "svc"}

    def is_locked(self) -> bool:
        return False

    def get_secret(self) -> bytes:
        return self.secret


class FakeCollection:
    def __init__(self, label: str, locked: bool, items: list[FakeItem]) -> None:
        self.label, self.locked, self.items = label, locked, items

    def get_label(self) -> str:
        return self.label

    def is_locked(self) -> bool:
        return self.locked

    def get_all_items(self) -> list[FakeItem]:
        if self.locked:
            raise AssertionError("a locked collection must not be listed (it would prompt)")
        return self.items


def test_locked_collection_is_reported_and_others_are_read(tmp_path: Path) -> None:
    collections = [
        FakeCollection("Work", True, []),
        FakeCollection("Login", False, [FakeItem("db", b"FAKE_DB")]),
    ]
    ctx = make_ctx(tmp_path)
    backend = SecretServiceBackend(connect=object, collections=lambda _conn: collections)
    fragments = collect(KeychainSource(backend), ctx)
    assert [f.origin.keychain_item for f in fragments] == ["db", "db"]
    assert [(e.source, e.path, e.message) for e in ctx.errors] == [
        ("keychain", None, "collection Work is locked; unlock it and rescan")
    ]


def test_no_secret_service_is_one_clear_error(tmp_path: Path) -> None:
    def no_bus() -> Any:
        raise ConnectionRefusedError("no bus")

    ctx = make_ctx(tmp_path)
    assert collect(KeychainSource(SecretServiceBackend(connect=no_bus)), ctx) == []
    assert len(ctx.errors) == 1
    assert ctx.errors[0].message.startswith("Secret Service not reachable")


def test_macos_dump_is_parsed_without_secrets() -> None:
    items = list(parse_security_dump((DATA / "security_dump_keychain.txt").read_text()))
    assert [item.label for item in items] == [
        "gh:github.com",
        "vpn.example-labs.example",
        "com.apple.systemdefault",
    ]
    assert items[0].attributes["acct"] == "contractor"
    assert items[1].attributes["srvr"] == "vpn.example-labs.example"
    assert items[1].attributes["class"] == "inet"
    assert all(item.secret is None for item in items)


def test_platform_backends() -> None:
    assert isinstance(default_backend("linux"), SecretServiceBackend)
    assert isinstance(default_backend("darwin"), MacKeychainBackend)
    assert isinstance(default_backend("win32"), WindowsCredentialBackend)
    assert isinstance(default_backend("sunos5"), UnsupportedBackend)


def test_unsupported_platform_reports_itself(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    assert collect(KeychainSource(UnsupportedBackend()), ctx) == []
    assert ctx.errors[0].message == "keychain scanning is not supported on this platform yet"


class ScriptedBackend:
    """Hands out fixed items (as a platform backend would)."""

    def __init__(self, items: list[KeychainItem]) -> None:
        self._items = items

    def items(self, ctx: Any, error: Any) -> Iterator[KeychainItem]:
        return iter(self._items)


def test_only_rule_secrets_and_profile_attributes_are_findings(tmp_path: Path) -> None:
    """A Wi-Fi password is no finding; attribute text never gives credential hits."""
    token = "ghp_" + "Zq8vR2mXp4TnW7yBc3LkH9sD1fG6jQ2wE5rT"
    items = [
        KeychainItem("Home Wi-Fi", {"ssid": "home"}, b"correct horse battery staple"),
        KeychainItem("gh:github.com", {"service": "gh:github.com"}, token.encode()),
        KeychainItem(
            "vpn.example-labs.example",
            {"server": "vpn.example-labs.example", "note": "password = Pl4inTextPassw0rd!"},
            b"hunter2-not-a-rule-match",
        ),
    ]
    located = run(KeychainSource(ScriptedBackend(items)), make_ctx(tmp_path))
    kinds = sorted({(h.hit.origin.keychain_item or "", h.hit.kind.value) for h in located})
    assert kinds == [("gh:github.com", "credential"), ("vpn.example-labs.example", "endpoint")]
    assert all(h.location.keychain_item == h.hit.origin.keychain_item for h in located)


class OwnItem(FakeItem):
    def get_attributes(self) -> dict[str, str]:
        return {"service": "desktop-audit", "username": "installation-key"}

    def get_secret(self) -> bytes:
        raise AssertionError("desktop-audit's own key must never be read")


def test_own_items_are_never_read_or_yielded(tmp_path: Path) -> None:
    collections = [FakeCollection("Login", False, [OwnItem("k", b""), FakeItem("db", b"FAKE")])]
    backend = SecretServiceBackend(connect=object, collections=lambda _conn: collections)
    ctx = make_ctx(tmp_path)
    fragments = collect(KeychainSource(backend), ctx)
    assert {f.origin.keychain_item for f in fragments} == {"db"}
    assert ctx.stat("keychain").counters["skipped_own_items"] == 1
    mac = [KeychainItem("desktop-audit", {"svce": "desktop-audit", "acct": "signing-key"})]
    win = [KeychainItem("signing-key@desktop-audit", {"target": "signing-key@desktop-audit"})]
    assert collect(KeychainSource(ScriptedBackend(mac + win)), make_ctx(tmp_path)) == []


def test_own_keyring_items_in_the_real_secret_service_are_skipped(
    collection: Any, tmp_path: Path
) -> None:
    import keyring

    user = f"test-{uuid.uuid4().hex[:8]}"  # never the real installation-key / signing-key
    keyring.set_password("desktop-audit", user, "own_FAKE_" + uuid.uuid4().hex)
    try:
        ctx = make_ctx(tmp_path)
        fragments = collect(KeychainSource(SecretServiceBackend()), ctx)
    finally:
        keyring.delete_password("desktop-audit", user)
    assert not [f for f in fragments if user.encode() in f.data]
    assert ctx.stat("keychain").counters["skipped_own_items"] >= 1


def test_windows_credential_records_are_metadata_items(tmp_path: Path) -> None:
    records = json.loads((DATA / "wincred_records.json").read_text())
    items = list(items_from_records(records))
    assert [item.label for item in items] == [
        "LegacyGeneric:target=git:https://git.example-labs.example",
        "Domain:target=TERMSRV/eval-x7.corp.example",
        "MicrosoftAccount:user=contractor@example.com",
        "signing-key@desktop-audit",
    ]
    assert items[0].attributes == {
        "target": "LegacyGeneric:target=git:https://git.example-labs.example",
        "user": "PersonalAccessToken",
        "type": "generic",
        "persist": "local-machine",
    }
    assert items[1].attributes["type"] == "domain-password"
    assert all(item.secret is None for item in items)
    ctx = make_ctx(tmp_path)
    backend = WindowsCredentialBackend(lambda: records)
    located = run(KeychainSource(backend), ctx)
    hosts = sorted({h.location.keychain_item or "" for h in located})
    assert hosts == [
        "Domain:target=TERMSRV/eval-x7.corp.example",
        "LegacyGeneric:target=git:https://git.example-labs.example",
    ]
    assert all(h.hit.kind.value == "endpoint" for h in located)
    assert ctx.stat("keychain").counters == {
        "items": 3,
        "metadata_only_items": 3,
        "bytes": ctx.stat("keychain").counters["bytes"],
        "skipped_own_items": 1,
    }


def test_windows_enumeration_failure_is_one_error(tmp_path: Path) -> None:
    def fail() -> list[dict[str, object]]:
        raise OSError(5, "access denied")

    ctx = make_ctx(tmp_path)
    assert collect(KeychainSource(WindowsCredentialBackend(fail)), ctx) == []
    assert [e.message for e in ctx.errors] == [
        "cannot enumerate Windows Credential Manager (OSError)"
    ]
