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
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop_audit.errors import KeyUnavailableError, UsageError
from desktop_audit.store.keys import (
    KeySource,
    PassphrasePrompt,
    derive_from_passphrase,
    keyring_secret,
    resolve_passphrase,
    wanted_source,
)

SIGNING_KEYRING_USER = "signing-key"
ALGORITHM = "ed25519"
_SEED_BYTES = 32
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
    notice = ""
    if wanted_source(prefer) is KeySource.KEYRING:
        try:
            seed = keyring_secret(SIGNING_KEYRING_USER, "signing key")
            return SigningKey.from_seed(seed, KeySource.KEYRING)
        except KeyUnavailableError as exc:
            notice = f"{exc}; using a passphrase-derived signing key instead"
    passphrase = resolve_passphrase(prompt, "unlocks your signing key", notice)
    return SigningKey.from_seed(
        seed_from_passphrase(passphrase, kdf_salt), KeySource.PASSPHRASE, notice
    )
