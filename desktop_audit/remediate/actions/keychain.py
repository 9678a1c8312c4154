"""Delete a Secret Service item (Linux keyrings), after an encrypted backup of label,
attributes and secret. The item is identified by its label and confirmed by the detector."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from desktop_audit.errors import RemediationError, StaleTargetError
from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.remediate.actions.base import ActionKind, Applied, Plan, SaveBackup, Scan
from desktop_audit.remediate.backups import Backup
from desktop_audit.scan.sources.keychain import KeychainItem, describe

Connect = Callable[[], Any]


def _default_connect() -> Any:
    try:
        import secretstorage  # noqa: PLC0415  (Linux-only dependency)
    except ImportError:
        raise RemediationError("Secret Service support (secretstorage) is not installed") from None
    try:
        return secretstorage.dbus_init()
    except Exception as exc:
        raise RemediationError(f"Secret Service not reachable ({type(exc).__name__})") from None


@contextlib.contextmanager
def _connection(connect: Connect | None) -> Iterator[Any]:
    conn = (connect or _default_connect)()
    try:
        yield conn
    finally:
        close = getattr(conn, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True, slots=True)
class _Match:
    collection: Any
    item: Any


def _holds(scan: Scan, item: Any, label: str, finding_id: str) -> bool:
    """Whether the detector finds ``finding_id`` in the item (as the keychain source reads it)."""
    secret = bytes(item.get_secret())
    attributes = {str(k): str(v) for k, v in dict(item.get_attributes()).items()}
    origin = Origin(SourceKind.KEYCHAIN, keychain_item=label, file_format="keychain")
    texts = [
        Fragment(secret, origin),
        Fragment(
            describe(KeychainItem(label, attributes)),
            Origin(SourceKind.KEYCHAIN, keychain_item=label, file_format="keychain-attributes"),
        ),
    ]
    return any(h.finding_id == finding_id for f in texts for h in scan(f))


def _matches(conn: Any, scan: Scan, label: str, finding_id: str) -> list[_Match]:
    import secretstorage  # noqa: PLC0415

    found = []
    for collection in secretstorage.get_all_collections(conn):
        if collection.is_locked():
            continue
        for item in collection.get_all_items():
            if str(item.get_label()) == label and _holds(scan, item, label, finding_id):
                found.append(_Match(collection, item))
    return found


def holding_items(scan: Scan, label: str, finding_id: str, connect: Connect | None = None) -> int:
    """How many unlocked items named ``label`` still hold the finding (targeted rescan)."""
    with _connection(connect) as conn:
        return len(_matches(conn, scan, label, finding_id))


def plan_delete_item(
    scan: Scan,
    finding_id: str,
    location_id: int | None,
    label: str,
    preview: str,
    connect: Connect | None = None,
) -> Plan:
    with _connection(connect) as conn:
        matches = _matches(conn, scan, label, finding_id)
        if not matches:
            raise RemediationError(f"keychain item {label!r}: not found or locked (rescan)")
        if len(matches) > 1:
            raise RemediationError(f"keychain item {label!r}: several items match; delete by hand")
        match = matches[0]
        names = ", ".join(sorted(str(k) for k in dict(match.item.get_attributes())))
        collection = str(match.collection.get_label())
        params = {"label": label, "item_path": match.item.item_path}
    changes = (
        f"- delete keychain item {label!r} in collection {collection!r} holding {preview}",
        f"  attributes: {names or '(none)'}",
    )
    return Plan(ActionKind.DELETE_KEYCHAIN_ITEM, finding_id, location_id, label, changes, params)


class DeleteKeychainItem:
    """Deletes the planned item; undo recreates it in the same collection."""

    def __init__(self, scan: Scan, connect: Connect | None = None) -> None:
        self._scan = scan
        self._connect = connect

    def apply(self, plan: Plan, save: SaveBackup) -> Applied:
        import secretstorage  # noqa: PLC0415

        label = str(plan.params["label"])
        with _connection(self._connect) as conn:
            item = secretstorage.Item(conn, plan.params["item_path"])
            try:
                unchanged = str(item.get_label()) == label and _holds(
                    self._scan, item, label, plan.finding_id
                )
            except Exception:  # the item is gone: D-Bus raises one of several types
                unchanged = False
            if not unchanged:
                raise StaleTargetError(f"keychain item {label!r}: changed since the preview")
            collection_path = item.item_path.rsplit("/", 1)[0]
            meta = {
                "label": label,
                "attributes": {str(k): str(v) for k, v in dict(item.get_attributes()).items()},
                "content_type": str(item.get_secret_content_type()),
                "collection": collection_path,
            }
            save(
                Backup(
                    str(ActionKind.DELETE_KEYCHAIN_ITEM), meta, {"secret": bytes(item.get_secret())}
                )
            )
            item.delete()
        details = {"label": label, "collection": collection_path}
        return Applied(f"deleted keychain item {label!r}", details)

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None:
        import secretstorage  # noqa: PLC0415

        with _connection(self._connect) as conn:
            collection = secretstorage.Collection(conn, backup.meta["collection"])
            if collection.is_locked():
                raise RemediationError("the keychain collection is locked; unlock it and retry")
            collection.create_item(
                backup.meta["label"],
                dict(backup.meta["attributes"]),
                backup.blobs["secret"],
                replace=False,
                content_type=backup.meta["content_type"] or "text/plain",
            )
