"""The Ed25519 signing key of this user, and signing / checking bytes with it.

The private key lives in the OS keyring (service ``desktop-audit``, user ``signing-key``),
created on first use. Where no keyring works it is derived from the same passphrase as the
installation key (scrypt, see :mod:`desktop_audit.store.keys`) with a separate HKDF purpose, so
there is never a plaintext key file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop_audit.errors import KeyUnavailableError, UsageError
from desktop_audit.store.keys import (
    BACKEND_ENV,
    KEYRING_SERVICE,
    PASSPHRASE_ENV,
    KeySource,
    PassphrasePrompt,
    derive_from_passphrase,
)

SIGNING_KEYRING_USER = "signing-key"
ALGORITHM = "ed25519"
_SEED_BYTES = 32
_MIN_PASSPHRASE = 8
_HKDF_INFO = b"desktop-audit signing key v1"
_FINGERPRINT = re.compile(r"\A[0-9a-f]{64}\Z")


def raw_public_key(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint_of(raw_public: bytes) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, lowercase hex."""
    return hashlib.sha256(raw_public).hexdigest()


def group_fingerprint(fingerprint: str, size: int = 4) -> str:
    """``ab12 cd34 ...``: the fingerprint in groups people can compare aloud."""
    return " ".join(fingerprint[i : i + size] for i in range(0, len(fingerprint), size))


def normalise_fingerprint(text: str) -> str:
    """Accept grouped, colon-separated or upper-case input; raise UsageError otherwise."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    if not _FINGERPRINT.match(cleaned):
        raise UsageError(f"--signer {text!r}: give the 64 hex digits of a key fingerprint")
    return cleaned


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private signing key and where it came from; ``notice`` is a message for the user."""

    private: Ed25519PrivateKey
    source: KeySource
    notice: str = ""

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(source={self.source!s}, fingerprint={self.fingerprint})"

    @property
    def public_raw(self) -> bytes:
        return raw_public_key(self.private.public_key())

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    @classmethod
    def from_seed(cls, seed: bytes, source: KeySource, notice: str = "") -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(seed), source, notice)


def signature_is_valid(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is an Ed25519 signature of ``data`` by ``public_raw``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding; raise ValueError on anything else."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not valid base64") from exc


def _keyring_seed() -> bytes:
    """Read (or create once) the seed in the OS keyring; raise KeyUnavailableError with why."""
    import keyring  # noqa: PLC0415  (import cost paid only when signing)
    from keyring.backends import fail  # noqa: PLC0415
    from keyring.errors import KeyringError  # noqa: PLC0415

    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise KeyUnavailableError("no OS keyring backend is available")
    try:
        stored = keyring.get_password(KEYRING_SERVICE, SIGNING_KEYRING_USER)
        if stored is None:
            stored = base64.b64encode(secrets.token_bytes(_SEED_BYTES)).decode()
            keyring.set_password(KEYRING_SERVICE, SIGNING_KEYRING_USER, stored)
            if keyring.get_password(KEYRING_SERVICE, SIGNING_KEYRING_USER) != stored:
                raise KeyUnavailableError("the OS keyring did not keep the signing key")
    except KeyringError as exc:
        raise KeyUnavailableError(f"the OS keyring refused access ({type(exc).__name__})") from None
    except KeyUnavailableError:
        raise
    except Exception as exc:  # D-Bus and platform errors surface as many types
        raise KeyUnavailableError(f"the OS keyring failed ({type(exc).__name__})") from None
    try:
        seed = b64decode_strict(stored)
    except ValueError:
        seed = b""
    if len(seed) != _SEED_BYTES:
        raise KeyUnavailableError("the signing key in the OS keyring is malformed")
    return seed


def seed_from_passphrase(passphrase: str, kdf_salt: bytes) -> bytes:
    """scrypt(passphrase, salt) as in store.keys, then HKDF to a signing-only seed."""
    base = derive_from_passphrase(passphrase, kdf_salt)
    return HKDF(algorithm=hashes.SHA256(), length=_SEED_BYTES, salt=None, info=_HKDF_INFO).derive(
        base
    )


def obtain_signing_key(
    kdf_salt: bytes,
    *,
    prompt: PassphrasePrompt | None = None,
    prefer: KeySource | None = None,
) -> SigningKey:
    """The signing key: from the keyring, else from the passphrase; never a plain file."""
    wanted = prefer or KeySource(os.environ.get(BACKEND_ENV, KeySource.KEYRING))
    notice = ""
    if wanted is KeySource.KEYRING:
        try:
            return SigningKey.from_seed(_keyring_seed(), KeySource.KEYRING)
        except KeyUnavailableError as exc:
            notice = f"{exc}; using a passphrase-derived signing key instead"
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None and prompt is not None:
        passphrase = prompt("desktop-audit passphrase (unlocks your signing key): ")
    if not passphrase:
        reason = notice or "passphrase mode was requested"
        raise KeyUnavailableError(
            f"{reason.split(';')[0]}; set {PASSPHRASE_ENV} or run interactively to enter a "
            "passphrase"
        )
    if len(passphrase) < _MIN_PASSPHRASE:
        raise KeyUnavailableError(f"the passphrase must have at least {_MIN_PASSPHRASE} characters")
    return SigningKey.from_seed(
        seed_from_passphrase(passphrase, kdf_salt), KeySource.PASSPHRASE, notice
    )
