"""The ``keychain`` source: OS credential stores. Secrets are read into memory only.

Linux: the Secret Service (every collection; a locked one is reported, never prompted for).
macOS: ``security dump-keychain`` without ``-d`` (item attributes only, no secret, no prompt).
Windows: Credential Manager target names and users (``keychain_windows``; no secret is read).

An item is a finding when its secret matches a credential rule or its label and attributes
match the profile's endpoints: :meth:`KeychainSource.locate` keeps only those kinds of hits, so
a personal Wi-Fi password or a username that looks like a password is never reported.
desktop-audit's own items (service ``desktop-audit``: installation and signing keys) are
never read.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from desktop_audit.models import (
    FindingKind,
    Fragment,
    Hit,
    LocatedHit,
    Origin,
    SourceGroup,
    SourceKind,
)
from desktop_audit.scan.sources.base import ScanContext, keep_hits
from desktop_audit.scan.sources.pacing import Pacer

NAME = "keychain"
OWN_SERVICE = "desktop-audit"  # store.keys.KEYRING_SERVICE (scan/ cannot import store/)
SECRET_FORMAT = "keychain"  # noqa: S105 - a format tag, not a password
ATTRIBUTES_FORMAT = "keychain-attributes"


@dataclass(frozen=True, slots=True)
class KeychainItem:
    label: str
    attributes: dict[str, str] = field(default_factory=dict)
    secret: bytes | None = None


class KeychainBackend(Protocol):
    """Yields items; reports per-collection problems through ``error(message)``."""

    def items(self, ctx: ScanContext, error: Callable[[str], None]) -> Iterator[KeychainItem]: ...


def is_own(item: KeychainItem) -> bool:
    """True for desktop-audit's own keyring items (Secret Service, macOS or Windows naming)."""
    attrs = item.attributes
    if OWN_SERVICE in (attrs.get("service"), attrs.get("svce")):
        return True
    target = attrs.get("target", "").rsplit("target=", 1)[-1]  # LegacyGeneric:target=...
    return target == OWN_SERVICE or target.endswith("@" + OWN_SERVICE)


def allowed(hit: Hit) -> bool:
    """Secrets give credential hits only; label and attributes give endpoint hits only."""
    if hit.origin.file_format == ATTRIBUTES_FORMAT:
        return hit.kind is FindingKind.ENDPOINT
    return hit.kind is FindingKind.CREDENTIAL


def describe(item: KeychainItem) -> bytes:
    """Label and attributes as text lines (for endpoint and username matching)."""
    lines = [item.label] + [f"{key}={value}" for key, value in sorted(item.attributes.items())]
    return "\n".join(lines).encode("utf-8", "surrogateescape")


# ------------------------------------------------------------------------- Secret Service
class SecretServiceBackend:
    """Every collection of the session's Secret Service (gnome-keyring, KWallet, KeePassXC)."""

    def __init__(
        self,
        connect: Callable[[], Any] | None = None,
        collections: Callable[[Any], Iterable[Any]] | None = None,
    ) -> None:
        self._connect = connect
        self._collections = collections

    def items(self, ctx: ScanContext, error: Callable[[str], None]) -> Iterator[KeychainItem]:
        try:
            import secretstorage  # noqa: PLC0415 - Linux-only dependency
        except ImportError:
            error("Secret Service support (secretstorage) is not installed")
            return
        try:
            connection = (self._connect or secretstorage.dbus_init)()
        except Exception as exc:
            error(f"Secret Service not reachable ({type(exc).__name__}); keychain not scanned")
            return
        try:
            try:
                lister = self._collections or secretstorage.get_all_collections
                collections = list(lister(connection))
            except Exception as exc:
                error(f"Secret Service not available ({type(exc).__name__}); keychain not scanned")
                return
            for collection in collections:
                if ctx.cancel.cancelled:
                    return
                yield from collection_items(collection, ctx, error)
        finally:
            close = getattr(connection, "close", None)
            if callable(close):
                close()


def collection_items(
    collection: Any, ctx: ScanContext, error: Callable[[str], None]
) -> Iterator[KeychainItem]:
    """Items of one collection; a locked collection is reported, not unlocked."""
    try:
        name = str(collection.get_label()) or "(unnamed)"
        if collection.is_locked():
            error(f"collection {name} is locked; unlock it and rescan")
            return
        items = list(collection.get_all_items())
    except Exception as exc:
        error(f"cannot list a keychain collection ({type(exc).__name__})")
        return
    for item in items:
        if ctx.cancel.cancelled:
            return
        try:
            label = str(item.get_label())
            attributes = {str(k): str(v) for k, v in dict(item.get_attributes()).items()}
            # desktop-audit's own keys are never read, not even into memory
            own = is_own(KeychainItem(label, attributes))
            secret = None if own or item.is_locked() else bytes(item.get_secret())
        except Exception as exc:
            error(f"cannot read an item of collection {name} ({type(exc).__name__})")
            continue
        yield KeychainItem(label, attributes, secret)


# ------------------------------------------------------------------------- macOS
_ATTRIBUTE = re.compile(r'^\s+(0x[0-9A-Fa-f]{8}|"[^"]*")\s*<(\w+)>=(.*)$')
_MAC_LABELS = {"0x00000007": "labl", '"labl"': "labl"}


def _mac_value(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "<NULL>":
        return None
    quoted = re.search(r'"(.*)"\s*$', raw)
    if quoted:
        return quoted.group(1).replace("\\000", "")
    return raw


def parse_security_dump(text: str) -> Iterator[KeychainItem]:
    """Items of ``security dump-keychain`` output (attributes only; no ``-d`` secrets)."""
    attributes: dict[str, str] = {}
    item_class = ""

    def finish() -> KeychainItem | None:
        if not attributes:
            return None
        label = attributes.get("labl") or attributes.get("svce") or attributes.get("srvr") or ""
        attrs = dict(attributes)
        if item_class:
            attrs["class"] = item_class
        return KeychainItem(label, attrs)

    for line in text.splitlines():
        if line.startswith("keychain:"):
            done = finish()
            if done is not None:
                yield done
            attributes, item_class = {}, ""
        elif line.startswith("class:"):
            item_class = line.split(":", 1)[1].strip().strip('"')
        else:
            match = _ATTRIBUTE.match(line)
            if match:
                key = _MAC_LABELS.get(match.group(1), match.group(1).strip('"'))
                value = _mac_value(match.group(3))
                if value is not None and match.group(2) in ("blob", "string", "uint32", "sint32"):
                    attributes[key] = value
    done = finish()
    if done is not None:
        yield done


class MacKeychainBackend:
    """Runs ``security dump-keychain`` (no secrets are requested, so no prompt appears)."""

    def items(self, ctx: ScanContext, error: Callable[[str], None]) -> Iterator[KeychainItem]:
        try:
            done = subprocess.run(
                ["security", "dump-keychain"], capture_output=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            error(f"cannot run security dump-keychain ({type(exc).__name__})")
            return
        if done.returncode != 0:
            error(f"security dump-keychain failed with status {done.returncode}")
            return
        yield from parse_security_dump(done.stdout.decode("utf-8", "replace"))


class UnsupportedBackend:
    """A platform without a supported credential store: one clear error."""

    def items(self, ctx: ScanContext, error: Callable[[str], None]) -> Iterator[KeychainItem]:
        error("keychain scanning is not supported on this platform yet")
        return iter(())


def default_backend(platform: str = sys.platform) -> KeychainBackend:
    if platform == "darwin":
        return MacKeychainBackend()
    if platform.startswith("win"):
        from desktop_audit.scan.sources.keychain_windows import (  # noqa: PLC0415
            WindowsCredentialBackend,
        )

        return WindowsCredentialBackend()
    if platform.startswith("linux") or "bsd" in platform:
        return SecretServiceBackend()
    return UnsupportedBackend()


class KeychainSource:
    """Yield each item's secret and a ``label + attributes`` text, both tagged with the label."""

    group = SourceGroup.KEYCHAIN

    def __init__(self, backend: KeychainBackend | None = None) -> None:
        self.backend = backend if backend is not None else default_backend()

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)

        def error(message: str) -> None:
            ctx.error(NAME, None, message)

        for item in self.backend.items(ctx, error):
            if ctx.cancel.cancelled:
                break
            if is_own(item):
                stats.add("skipped_own_items")
                continue
            size = 0
            if item.secret:
                size += len(item.secret)
                yield Fragment(item.secret, self._origin(item, SECRET_FORMAT))
            else:
                stats.add("metadata_only_items")
            text = describe(item)
            size += len(text)
            yield Fragment(text, self._origin(item, ATTRIBUTES_FORMAT))
            stats.add("items")
            stats.add("bytes", size)
            pacer.step(item.label, size)
        pacer.finish()

    @staticmethod
    def _origin(item: KeychainItem, file_format: str) -> Origin:
        return Origin(SourceKind.KEYCHAIN, keychain_item=item.label, file_format=file_format)

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return keep_hits(hits, allowed)
