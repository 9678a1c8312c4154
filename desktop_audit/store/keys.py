"""The per-installation key: kept in the OS keyring, or derived from a passphrase.

Never a plaintext key file. When no keyring backend works the user is told why and a
passphrase (``DESKTOP_AUDIT_PASSPHRASE`` or an interactive prompt) derives the key with scrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from desktop_audit.errors import KeyUnavailableError
from desktop_audit.secrecy import KEY_BYTES

KEYRING_SERVICE = "desktop-audit"
KEYRING_USER = "installation-key"
PASSPHRASE_ENV = "DESKTOP_AUDIT_PASSPHRASE"  # noqa: S105  (a variable name)
BACKEND_ENV = "DESKTOP_AUDIT_KEY_BACKEND"  # "keyring" (default) or "passphrase"
_SCRYPT_N = 2**15
_MIN_PASSPHRASE = 8


class KeySource(StrEnum):
    KEYRING = "keyring"
    PASSPHRASE = "passphrase"  # noqa: S105  (a mode name)


@dataclass(frozen=True, slots=True)
class InstallationKey:
    """The key and where it came from; ``notice`` is a message for the user (or empty)."""

    key: bytes
    source: KeySource
    notice: str = ""

    def __repr__(self) -> str:  # never show key bytes
        return f"InstallationKey(source={self.source!s})"


PassphrasePrompt = Callable[[str], str]


def keyring_backend_name() -> str:
    """The active keyring backend's class path (for diagnostics and tests)."""
    import keyring  # noqa: PLC0415  (import cost paid only when a key is needed)

    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _keyring_key() -> bytes:
    """Read (or create once) the key in the OS keyring; raise KeyUnavailableError with why."""
    import keyring  # noqa: PLC0415
    from keyring.backends import fail  # noqa: PLC0415
    from keyring.errors import KeyringError  # noqa: PLC0415

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise KeyUnavailableError("no OS keyring backend is available")
    try:
        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if stored is None:
            stored = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, stored)
            if keyring.get_password(KEYRING_SERVICE, KEYRING_USER) != stored:
                raise KeyUnavailableError("the OS keyring did not keep the installation key")
    except KeyringError as exc:
        raise KeyUnavailableError(f"the OS keyring refused access ({type(exc).__name__})") from None
    except Exception as exc:  # D-Bus and platform errors surface as many types
        raise KeyUnavailableError(f"the OS keyring failed ({type(exc).__name__})") from None
    key = base64.b64decode(stored)
    if len(key) != KEY_BYTES:
        raise KeyUnavailableError("the installation key in the OS keyring is malformed")
    return key


def derive_from_passphrase(passphrase: str, salt: bytes) -> bytes:
    """scrypt(passphrase, salt) -> 32-byte key."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=_SCRYPT_N, r=8, p=1)
    return kdf.derive(passphrase.encode())


def obtain_key(
    kdf_salt: bytes,
    *,
    prompt: PassphrasePrompt | None = None,
    prefer: KeySource | None = None,
) -> InstallationKey:
    """The installation key: from the keyring, else from a passphrase; never silently plain."""
    wanted = prefer or KeySource(os.environ.get(BACKEND_ENV, KeySource.KEYRING))
    notice = ""
    if wanted is KeySource.KEYRING:
        try:
            return InstallationKey(_keyring_key(), KeySource.KEYRING)
        except KeyUnavailableError as exc:
            notice = f"{exc}; using a passphrase-derived key instead"
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None and prompt is not None:
        passphrase = prompt("desktop-audit passphrase (protects the local database): ")
    if not passphrase:
        reason = notice or "passphrase mode was requested"
        raise KeyUnavailableError(
            f"{reason.split(';')[0]}; set {PASSPHRASE_ENV} or run interactively to enter a "
            "passphrase"
        )
    if len(passphrase) < _MIN_PASSPHRASE:
        raise KeyUnavailableError(f"the passphrase must have at least {_MIN_PASSPHRASE} characters")
    return InstallationKey(
        derive_from_passphrase(passphrase, kdf_salt), KeySource.PASSPHRASE, notice
    )
