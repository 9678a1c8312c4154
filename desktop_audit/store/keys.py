"""The per-installation key: kept in the OS keyring, or derived from a passphrase.

Never a plaintext key file. When no keyring backend works the user is told why and a
passphrase (``DESKTOP_AUDIT_PASSPHRASE`` or an interactive prompt) derives the key with scrypt.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from desktop_audit.errors import KeyUnavailableError
from desktop_audit.scan.rules.cachedir import write_cache_file
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


# keyring's own single backends: the only classes a remembered choice may name (never an
# arbitrary import path read from a file)
_DIRECT_BACKENDS = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
    }
)
_CHOICE_FILE = "keyring-backend"
_KEYRING_ENV = ("PYTHON_KEYRING", "KEYRING_PROPERTY")  # the user configures keyring by these


def _choice_path() -> Path | None:
    try:
        import platformdirs  # noqa: PLC0415

        return Path(platformdirs.user_cache_dir("desktop-audit", appauthor=False)) / _CHOICE_FILE
    except ImportError:  # pragma: no cover  (a dependency)
        return None


def _remembered_backend() -> Any | None:
    """The backend that held the keys last time, made directly: keyring's own choice loads
    every backend it knows of (0.06-0.08 s on each start). Only one of keyring's own single
    backends, only where it works now, and never when the user configured keyring."""
    path = _choice_path()
    if path is None or any(name.startswith(_KEYRING_ENV) for name in os.environ):
        return None
    try:
        name = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    if name not in _DIRECT_BACKENDS:
        return None
    try:
        from keyring.util import platform_  # noqa: PLC0415

        if (Path(platform_.config_root()) / "keyringrc.cfg").exists():
            return None  # the user chose in keyringrc.cfg: keyring decides
        module, _, cls_name = name.rpartition(".")
        backend_cls = getattr(importlib.import_module(module), cls_name)
        return backend_cls() if backend_cls.viable else None
    except Exception:  # an older or newer keyring, or the backend cannot start here
        return None


def _remember_backend(backend: Any) -> None:
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    path = _choice_path()
    if path is None or name not in _DIRECT_BACKENDS:
        return
    with contextlib.suppress(OSError, ValueError):
        if path.read_text(encoding="ascii").strip() == name:
            return
    write_cache_file(path, f"{name}\n".encode("ascii"))


def keyring_secret(user: str, what: str) -> bytes:
    """32 random bytes kept in the OS keyring under ``user`` (created once), or
    KeyUnavailableError saying why; ``what`` names the key in messages. The backend that
    holds them is asked directly next time (:func:`_remembered_backend`); a key it does not
    hold is looked for, and only then created, through keyring's own choice."""
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        backend: Any = _remembered_backend()
        stored = None if backend is None else backend.get_password(KEYRING_SERVICE, user)
        if stored is None:
            import keyring  # noqa: PLC0415  (import cost paid only when a key is needed)
            from keyring.backends import fail  # noqa: PLC0415

            backend = keyring.get_keyring()
            if isinstance(backend, fail.Keyring):
                raise KeyUnavailableError("no OS keyring backend is available")
            stored = backend.get_password(KEYRING_SERVICE, user)
        if stored is None:
            stored = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
            backend.set_password(KEYRING_SERVICE, user, stored)
            if backend.get_password(KEYRING_SERVICE, user) != stored:
                raise KeyUnavailableError(f"the OS keyring did not keep the {what}")
    except KeyringError as exc:
        raise KeyUnavailableError(f"the OS keyring refused access ({type(exc).__name__})") from None
    except KeyUnavailableError:
        raise
    except Exception as exc:  # D-Bus and platform errors surface as many types
        raise KeyUnavailableError(f"the OS keyring failed ({type(exc).__name__})") from None
    try:
        key = base64.b64decode(stored, validate=True)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyUnavailableError(f"the {what} in the OS keyring is malformed")
    _remember_backend(backend)
    return key


def resolve_passphrase(prompt: PassphrasePrompt | None, purpose: str, notice: str) -> str:
    """The passphrase from the environment or the prompt; KeyUnavailableError when there is
    none or it is too short. ``notice`` says why the keyring was not used (or is empty)."""
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None and prompt is not None:
        passphrase = prompt(f"desktop-audit passphrase ({purpose}): ")
    if not passphrase:
        reason = notice or "passphrase mode was requested"
        raise KeyUnavailableError(
            f"{reason.split(';')[0]}; set {PASSPHRASE_ENV} or run interactively to enter a "
            "passphrase"
        )
    try:
        passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyUnavailableError("the passphrase is not valid UTF-8 text") from None
    if len(passphrase) < _MIN_PASSPHRASE:
        raise KeyUnavailableError(f"the passphrase must have at least {_MIN_PASSPHRASE} characters")
    return passphrase


def wanted_source(prefer: KeySource | None) -> KeySource:
    """Where keys come from: ``prefer``, else ``$DESKTOP_AUDIT_KEY_BACKEND``, else the keyring."""
    return prefer or KeySource(os.environ.get(BACKEND_ENV, KeySource.KEYRING))


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
    return start_key(kdf_salt, prompt=prompt, prefer=prefer)()


def start_key(
    kdf_salt: bytes,
    *,
    prompt: PassphrasePrompt | None = None,
    prefer: KeySource | None = None,
) -> Callable[[], InstallationKey]:
    """:func:`obtain_key` begun: the keyring is asked and the passphrase prompted for now, in
    this thread; scrypt runs in a thread of its own (it releases the GIL), so the caller can
    do other work meanwhile. The function returned waits for the key."""
    notice = ""
    if wanted_source(prefer) is KeySource.KEYRING:
        try:
            stored = keyring_secret(KEYRING_USER, "installation key")
            key = InstallationKey(stored, KeySource.KEYRING)
            return lambda: key
        except KeyUnavailableError as exc:
            notice = f"{exc}; using a passphrase-derived key instead"
    passphrase = resolve_passphrase(prompt, "protects the local database", notice)
    derived: list[bytes] = []
    failed: list[str] = []

    def derive() -> None:
        try:
            derived.append(derive_from_passphrase(passphrase, kdf_salt))
        except Exception as exc:  # only its type leaves the thread
            failed.append(type(exc).__name__)

    worker = threading.Thread(target=derive, name="desktop-audit-kdf", daemon=True)
    worker.start()

    def wait() -> InstallationKey:
        worker.join()
        if not derived:  # (the type only: a message could quote the passphrase)
            raise KeyUnavailableError(
                f"the passphrase-derived key could not be computed ({', '.join(failed)})"
            )
        return InstallationKey(derived[0], KeySource.PASSPHRASE, notice)

    return wait
