"""Encrypted backups of what a clean-up action changes (a plain copy would be a leftover).

``<data dir>/backups/<action id>.bin``, mode 0600: AES-GCM with the installation key
(:meth:`Secrecy.encrypt`), the action id bound as associated data.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from desktop_audit.errors import RemediationError
from desktop_audit.remediate.fsutil import shred, write_private
from desktop_audit.secrecy import Secrecy

_AAD = b"desktop-audit backup v1\x00"
DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Backup:
    """What undo needs: JSON-safe ``meta`` and raw ``blobs`` (secret-bearing bytes)."""

    kind: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    blobs: Mapping[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:  # blobs may hold secrets: never show them
        return f"Backup(kind={self.kind!r}, blobs={sorted(self.blobs)})"


class BackupVault:
    """Writes, reads and shreds encrypted backups in one directory."""

    def __init__(self, directory: Path, secrecy: Secrecy) -> None:
        self.directory = directory
        self._secrecy = secrecy

    def path_for(self, action_id: str) -> Path:
        return self.directory / f"{action_id}.bin"

    def save(self, action_id: str, backup: Backup) -> Path:
        document = {
            "kind": backup.kind,
            "meta": dict(backup.meta),
            "blobs": {k: base64.b64encode(v).decode() for k, v in backup.blobs.items()},
        }
        plain = json.dumps(document, sort_keys=True).encode()
        path = self.path_for(action_id)
        write_private(path, self._secrecy.encrypt(plain, _AAD + action_id.encode()))
        return path

    def load(self, action_id: str, path: Path | None = None) -> Backup:
        where = path or self.path_for(action_id)
        try:
            blob = where.read_bytes()
        except FileNotFoundError:
            raise RemediationError(f"backup of action {action_id} is gone (shredded?)") from None
        try:
            plain = self._secrecy.decrypt(blob, _AAD + action_id.encode())
        except (InvalidTag, ValueError):
            raise RemediationError(
                f"backup of action {action_id} cannot be decrypted (other key or damaged)"
            ) from None
        document = json.loads(plain)
        return Backup(
            kind=document["kind"],
            meta=document["meta"],
            blobs={k: base64.b64decode(v) for k, v in document["blobs"].items()},
        )

    @staticmethod
    def shred(path: Path) -> None:
        shred(path)
